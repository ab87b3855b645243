// Only the proc backend reads /proc (issue 16): every other source file asks the inspection
// backend (src/core/inspect/select.ts's inspect()), so that berth runs where there is no /proc.
// A file that reads /proc directly, or imports the proc backend's readers, fails here.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const PROC_DIR = join('core', 'inspect', 'proc');

/** Files allowed to name /proc in code, each with why it is not reading it. */
const NAMES_PROC_WITHOUT_READING: Record<string, string> = {
  // a gitdir: pointer into /proc is refused, never followed
  [join('core', 'inspect', 'git.ts')]: "const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];",
};

/** The only imports of the proc backend from outside its folder: the selection of the backend. */
const SELECT = join('core', 'inspect', 'select.ts');
const SELECT_MAY_IMPORT = ['./proc/backend.ts', './proc/stray-fds.ts'];
// the read-ahead of the TCP tables must start before the backends load (src/app/prefetch.ts)
const PREFETCH = join('app', 'prefetch.ts');
const PREFETCH_MAY_IMPORT = ['../core/inspect/proc/net-prefetch.ts'];

function outsideProc(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.startsWith(PROC_DIR + '/'));
}

/** The file's text without its comments (a comment may well mention /proc). */
function code(file: string): string {
  return readFileSync(join(SRC, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
    .replace(/\s\/\/ .*$/gm, '');
}

test('no source file outside src/core/inspect/proc/ reads /proc', () => {
  const offending: string[] = [];
  for (const file of outsideProc()) {
    for (const line of code(file).split('\n')) {
      if (!/['"`]\/proc(\/|['"`$])/.test(line)) continue;
      if (NAMES_PROC_WITHOUT_READING[file] === line.trim()) continue;
      offending.push(`${file}: ${line.trim()}`);
    }
  }
  assert.deepEqual(offending, []);
});

test('no source file outside src/core/inspect/proc/ imports procfs.ts or the proc backend (select.ts chooses it)', () => {
  const offending: string[] = [];
  for (const file of outsideProc()) {
    const froms = [...code(file).matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!);
    for (const from of froms) {
      if (!/(^|\/)procfs\.ts$/.test(from) && !/(^|\/)proc\//.test(from)) continue;
      if (file === SELECT && SELECT_MAY_IMPORT.includes(from)) continue;
      if (file === PREFETCH && PREFETCH_MAY_IMPORT.includes(from)) continue;
      offending.push(`${file}: ${from}`);
    }
  }
  assert.deepEqual(offending, []);
});

test('the check sees a direct read of /proc and an import of procfs.ts', () => {
  // the patterns above, on the lines they must catch (a test that could never fail proves nothing)
  assert.match("  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');", /['"`]\/proc(\/|['"`$])/);
  assert.match("fs.readdirSync('/proc/self/fd')", /['"`]\/proc(\/|['"`$])/);
  assert.match('../inspect/procfs.ts', /(^|\/)procfs\.ts$/);
  assert.doesNotMatch("import { spawn } from 'node:child_process';", /['"`]\/proc(\/|['"`$])/);
});
