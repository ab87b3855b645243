// Starting a command: Node reports a missing binary asynchronously, so every start waits for
// either 'spawn' or 'error' before it records anything.
// A missing working directory also fails with ENOENT: it is told apart from a missing command
// here, so the message names the right culprit.
import type { ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { BerthError, EXIT } from './errors.ts';

function cwdProblem(cwd: string | undefined): string | undefined {
  if (cwd === undefined) return undefined;
  try {
    return statSync(cwd).isDirectory() ? undefined : `its working directory ${cwd} is not a directory`;
  } catch {
    return `its working directory ${cwd} does not exist`;
  }
}

export class CommandFailedToStartError extends BerthError {
  constructor(command: string, cause: NodeJS.ErrnoException, cwd?: string) {
    const badCwd = cause.code === 'ENOENT' || cause.code === 'ENOTDIR' ? cwdProblem(cwd) : undefined;
    const why = badCwd ?? (cause.code === 'ENOENT' ? 'command not found' : cause.message);
    super('command_failed_to_start', `cannot start ${JSON.stringify(command)}: ${why}`, {
      hint: badCwd ? 'create the directory, or give the service another cwd' : 'check the command name and your PATH',
      exitCode: EXIT.failure,
      details: { command, errno: cause.code, ...(badCwd ? { cwd } : {}) },
    });
  }
}

/** Resolves with the child's pid once it runs, or throws CommandFailedToStartError. */
export async function awaitSpawn(child: ChildProcess, command: string, cwd?: string): Promise<number> {
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (err) => resolve(err));
  });
  if (error !== undefined || child.pid === undefined) {
    throw new CommandFailedToStartError(command, error ?? Object.assign(new Error('no pid'), { code: 'ESPAWN' }), cwd);
  }
  return child.pid;
}
