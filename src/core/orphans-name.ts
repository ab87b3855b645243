// The name `berth orphans` suggests for keeping an orphan (`berth adopt NAME --pid N`). The
// project comes from the directory berth adopt runs in, so the name must say which server this
// is, not where it runs: the directory's name made `berth adopt proj` create proj/proj (new-user
// trial #17). The name comes from the command: the module of `python -m http.server`, the tool
// of `npx next dev` or `node_modules/.bin/vite`, a script's basename, else the program; failing
// that the port (`port-8000`), else the pid. Always within berth's name rules (validate.ts).
import { basename } from 'node:path';

/** Programs that run another: the name is what they run, not them. */
const RUNNERS = /^(node|nodejs|bun|deno|python[0-9.]*|pypy[0-9.]*|ruby|perl|php|java|sh|bash|dash|zsh|env|npx|pnpx|bunx|uv|uvx|poetry|pipenv)$/;
/** Package-manager verbs before the script or tool they run (`npm run dev`, `pnpm exec vite`). */
const MANAGERS = /^(npm|pnpm|yarn)$/;
const MANAGER_VERBS = new Set(['run', 'run-script', 'exec', 'x', 'dlx', 'start', 'dev']);

export interface NameSource {
  argv: readonly string[];
  port: number | undefined;
  pid: number;
}

/** A service name berth would accept for `berth adopt`, made from the command, else the port, else the pid. */
export function suggestName(src: NameSource): string {
  const fromCommand = commandName(src.argv);
  const name = fromCommand === undefined ? undefined : sanitize(fromCommand);
  if (name !== undefined) return name;
  return src.port !== undefined ? `port-${src.port}` : `orphan-${src.pid}`;
}

function commandName(argv: readonly string[]): string | undefined {
  let i = 0;
  for (; i < argv.length; i++) {
    const word = basename(argv[i]!);
    if (MANAGERS.test(word)) {
      const next = argv[i + 1];
      if (next === undefined) return word;
      if (MANAGER_VERBS.has(next)) return next === 'start' || next === 'dev' ? word : argv[i + 2] ?? word;
      return next.startsWith('-') ? word : next;
    }
    if (!RUNNERS.test(word)) break;
    // the module a runner runs: python -m http.server, node --import x script.js
    for (i++; i < argv.length && argv[i]!.startsWith('-'); i++) {
      if (argv[i] === '-m' && argv[i + 1] !== undefined) return argv[i + 1]!.replace(/\.(__main__)$/, '');
      if (argv[i] === '-c' || argv[i] === '-e') return undefined;
    }
    i--;
  }
  const word = argv[i];
  if (word === undefined) return undefined;
  return basename(word).replace(/\.(c?js|mjs|ts|py|rb|pl|php|sh)$/, '');
}

function sanitize(text: string): string | undefined {
  const name = text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/\./g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
  return name === '' || /^[.-]+$/.test(name) ? undefined : name;
}
