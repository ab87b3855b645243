// Starting a command: Node reports a missing binary asynchronously, so every start waits for
// either 'spawn' or 'error' before it records anything.
import type { ChildProcess } from 'node:child_process';
import { BerthError, EXIT } from './errors.ts';

export class CommandFailedToStartError extends BerthError {
  constructor(command: string, cause: NodeJS.ErrnoException) {
    super('command_failed_to_start', `cannot start ${JSON.stringify(command)}: ${cause.code === 'ENOENT' ? 'command not found' : cause.message}`, {
      hint: 'check the command name and your PATH',
      exitCode: EXIT.failure,
      details: { command, errno: cause.code },
    });
  }
}

/** Resolves with the child's pid once it runs, or throws CommandFailedToStartError. */
export async function awaitSpawn(child: ChildProcess, command: string): Promise<number> {
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (err) => resolve(err));
  });
  if (error !== undefined || child.pid === undefined) {
    throw new CommandFailedToStartError(command, error ?? Object.assign(new Error('no pid'), { code: 'ESPAWN' }));
  }
  return child.pid;
}
