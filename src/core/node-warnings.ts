// On Node 22, node:sqlite announces itself as experimental on stderr: noise for berth's users
// (and for agents parsing its output), and for the daemon's log. Imported first by every entry
// point (the CLI's preflight, the daemon), before anything loads node:sqlite. Node prints
// warnings through a 'warning' listener of its own; this replaces it with one that skips that
// notice and prints the rest the same way.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'ExperimentalWarning' && /SQLite/.test(warning.message)) return;
  process.stderr.write(`(node:${process.pid}) ${warning.name}: ${warning.message}\n`);
});
