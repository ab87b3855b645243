// Imported first by the program, before anything loads node:sqlite.

import '../app/quiet-warnings.ts';

// A reader that stops early (`berth ports | head`) closes the pipe: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
