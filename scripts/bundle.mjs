// Bundles the CLI (npm run build): one entry plus chunks loaded on demand, so a berth call
// resolves a handful of files instead of a hundred. The compiled tree in dist/ stays for the
// library (and the daemon as a tree; the daemon's own bundle is bundle-daemon.mjs). See
// docs/decisions/0007-bundled-cli.md.
import { chmodSync, copyFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { bundleDaemon } from './bundle-daemon.mjs';

// Node's own modules are taken with require(), never an ESM import: an ESM import of a builtin
// builds a namespace of all its exports, which loads the internal modules behind each (~50 for
// node:fs, node:path, node:util, node:process, node:os and node:url: ~5 ms on every call, against
// ~0.4 ms through require; docs/benchmarks.md "The hot verbs", decision 0030). The plugin makes
// each `import … from 'node:x'` a CommonJS module of one line, `module.exports = require('node:x')`,
// whose require is the banner's.
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => (args.namespace === 'builtin' ? { path: args.path, external: true } : { path: args.path, namespace: 'builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};

// The hot verbs' code (src/cli/hot.ts) is a build of its own in dist/bundle/hot/: main.ts's
// import of it stays an import of that file, so that `who`, `port` and `ps` load one file instead
// of the ~50 chunks this build splits the same modules into (decision 0030).
const hotApart = {
  name: 'hot-apart',
  setup(b) {
    b.onResolve({ filter: /^\.\/hot\.ts$/ }, (args) => (args.importer.endsWith('src/cli/main.ts') ? { path: './hot/hot.js', external: true } : undefined));
  },
};

const common = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  logLevel: 'warning',
  // CommonJS dependencies bundled into ESM, and the plugin above, call require() for Node's own
  // modules; getBuiltinModule, not an import of node:module (optional: on a Node too old for
  // berth, main.js must still run far enough to say so)
  banner: { js: "const require = process.getBuiltinModule?.('node:module').createRequire(import.meta.url);" },
};

// chunk names carry content hashes: start empty so that no stale chunk of an earlier build remains
rmSync('dist/bundle', { recursive: true, force: true });
await build({ ...common, entryPoints: { hot: 'src/cli/hot.ts' }, outdir: 'dist/bundle/hot', plugins: [builtinsByRequire] });
await build({
  ...common,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/bundle',
  plugins: [builtinsByRequire, hotApart],
});
chmodSync('dist/bundle/main.js', 0o755);
// berthd: one CommonJS file (scripts/bundle-daemon.mjs, decision 0031)
await bundleDaemon();
chmodSync('dist/cli/main.js', 0o755);

// The dashboard page (src/dashboard/ui): one script and one stylesheet for the browser, served by
// berthd as /app.js and /app.css, and the HTML shell, index.html, into which the daemon writes its
// CSRF token.
rmSync('dist/dashboard', { recursive: true, force: true });
await build({
  entryPoints: ['src/dashboard/ui/app.ts', 'src/dashboard/ui/app.css'],
  outdir: 'dist/dashboard',
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  logLevel: 'warning',
});
copyFileSync('src/dashboard/ui/index.html', 'dist/dashboard/index.html');
