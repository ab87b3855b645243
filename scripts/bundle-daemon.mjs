// Bundles berthd (npm run build, from scripts/bundle.mjs) into one CommonJS file,
// dist/bundle/berthd.cjs, which is what the client starts (src/core/package.ts). Why CommonJS and
// one file, measured in docs/benchmarks.md ("The daemon's memory") and decided in
// docs/decisions/0031-daemon-memory.md: the daemon idles most of its life, and as a tree of ~100
// ES modules it held ~10 MiB more than it needs. The ESM loader's own machinery and the namespace
// of every builtin it imports (an ESM import of node:util or node:fs evaluates all their exports,
// loading modules such as worker_threads and fs/promises that berthd never calls) are resident
// pages of the node binary; require() skips both. The dashboard stays lazy: esbuild keeps its
// dynamic import as a deferred initialiser inside the file, so its module bodies run only on the
// first `berth dashboard`.
import { build } from 'esbuild';

export async function bundleDaemon() {
  await build({
    entryPoints: ['src/daemon/main.ts'],
    outfile: 'dist/bundle/berthd.cjs',
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    // whitespace and syntax only: the source text stays resident, names stay for stack traces
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
    // import.meta has no CommonJS equivalent: the modules that locate files or build a require
    // from it (package.ts, dashboard-page.ts, notify-socket.ts, flock.ts) get this file's URL,
    // which sits in dist/bundle/ as the compiled modules sit one level under dist/
    define: { 'import.meta.url': '__berthdModuleUrl' },
    banner: { js: "const __berthdModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
}
