#!/usr/bin/env node
// Node's own start-up, until berth's first line: the floor of every call (BERTH_PROFILE=1 shows it).
const booted = process.uptime() * 1000;
// The entry point, and the only place berth exits. It has no static imports, so that on a Node
// too old for berth (no node:sqlite) it can still say so instead of failing to link.
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 14)) {
  process.stderr.write(`berth: needs Node.js 22.14 or newer; this is ${process.version}\n  hint: install a current Node.js (see README.md)\n`);
  process.exit(1);
}
// The hot verbs' plain shapes run without commander, from a bundle of their own (fast.ts,
// hot.ts); everything else through the program.
const argv = process.argv.slice(2);
const { fastCall } = await import('./fast.ts');
const call = fastCall(argv);
// who PORT reads the TCP tables: started now, on the thread pool, while the modules below load
// (src/core/inspect/proc/net-prefetch.ts)
const sockets = call?.sockets === true ? import('../app/prefetch.ts').then((m) => m.prefetchSockets()) : undefined;
// Node's compile cache (22.1+) keeps compiled code between runs: start-up is most of a CLI call.
// It lives in berth's own state directory, like everything berth writes, and only once that
// exists and is safe: Node would create the home 0755 (and loop forever on BERTH_HOME=/proc/x).
const { enableCompileCache } = process.getBuiltinModule('node:module');
const { compileCacheDir, resolveHome } = await import('../core/home.ts');
const cacheDir = compileCacheDir(resolveHome());
if (cacheDir !== undefined) enableCompileCache?.(cacheDir);
const cached = process.uptime() * 1000;
if (call !== undefined) {
  const { runHot } = await import('./hot.ts');
  process.exitCode = await runHot(call, booted, cached, sockets);
} else {
  const { collectPhases, phaseSince, profiling, profileDocument } = await import('../app/profile.ts');
  collectPhases();
  const { runProgram } = await import('./program.ts');
  phaseSince('home and compile cache', booted, cached);
  phaseSince('load program', cached);
  process.exitCode = await runProgram(argv);
  if (profiling()) process.stderr.write(`berth-profile ${JSON.stringify(profileDocument(booted))}\n`);
}
