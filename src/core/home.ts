// Where berth keeps its state: $BERTH_HOME, else $XDG_STATE_HOME/berth, else ~/.local/state/berth.
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { HomeUnwritableError } from './errors.ts';

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BERTH_HOME) return resolve(env.BERTH_HOME);
  const state = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return resolve(state, 'berth');
}

/** Creates the home (mode 0700) if needed and checks that it is a writable directory. */
export function ensureHome(home: string): void {
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    if (!statSync(home).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    accessSync(home, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new HomeUnwritableError(home, err);
  }
}

export function registryPath(home: string): string {
  return join(home, 'berth.db');
}
