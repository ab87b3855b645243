// Where berth's own files are: the package root is found by walking up from this module to the
// package.json named "berth", so it is right both for the compiled files and for the bundled CLI.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root === undefined) {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (;;) {
      const pkg = join(dir, 'package.json');
      if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'berth') break;
      const parent = dirname(dir);
      if (parent === dir) throw new Error('cannot find berth\'s package.json');
      dir = parent;
    }
    root = dir;
  }
  return root;
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The argv that runs the berth CLI as installed (package.json's bin): for units and wrappers. */
export function berthCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { bin: { berth: string } };
  return [process.execPath, join(packageRoot(), pkg.bin.berth)];
}

/** berthd as the client starts it: the bundled file (scripts/bundle-daemon.mjs, decision 0031). */
export function daemonEntry(): string {
  return join(packageRoot(), 'dist/bundle/berthd.cjs');
}

/**
 * Identifies the daemon code on disk: the version and the modification time of the daemon's
 * entry file. A running daemon whose build differs from the client's was started from older
 * code (berth was upgraded or rebuilt since).
 */
export function buildId(): string {
  let mtime = 0;
  try {
    mtime = Math.round(statSync(daemonEntry()).mtimeMs);
  } catch {
    // not built (running from sources)
  }
  return `${packageVersion()}+${mtime}`;
}
