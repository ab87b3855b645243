// Whether a path is a program this user can run: one test shared by `berth run` (is the command
// a program, or a shell line?) and `berth export` (where is the program on PATH?).
import { accessSync, constants, statSync } from 'node:fs';

/** A regular file this user may execute. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
