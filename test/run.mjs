#!/usr/bin/env node
// Runs the whole suite with a marker in the environment of every process it starts, then
// fails if any process carrying the marker is still alive: a test that leaves a process
// behind is a bug. Leftovers are stopped by pid (TERM, then KILL) and named.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 14)) {
  console.error(`the tests need Node.js 22.14 or newer; this is ${process.version} (see README.md)`);
  process.exit(1);
}

const marker = `BERTH_TEST_RUN=${randomUUID()}`;
const files = process.argv.slice(2);
const args = [
  '--experimental-strip-types',
  '--disable-warning=ExperimentalWarning',
  '--test',
  '--test-timeout=300000',
  ...(files.length > 0 ? files : ['test/**/*.test.ts']),
];
// The adversarial tests append what they tried to this file (test/helpers/adversarial.ts).
const tallyDir = mkdtempSync(join(tmpdir(), 'berth-tally-'));
const tallyFile = join(tallyDir, 'tally.jsonl');
const child = spawn(process.execPath, args, {
  stdio: 'inherit',
  env: { ...process.env, BERTH_TEST_RUN: marker.split('=')[1], BERTH_ADVERSARIAL_TALLY: tallyFile },
});
const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
printTally();

function printTally() {
  let lines = [];
  try {
    lines = readFileSync(tallyFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    // no adversarial test ran
  }
  rmSync(tallyDir, { recursive: true, force: true });
  if (lines.length === 0) return;
  const sum = (k) => lines.reduce((n, e) => n + (e[k] ?? 0), 0);
  const tests = new Set(lines.map((e) => e.test)).size;
  console.log(
    `\nadversarial: ${sum('hostile')} hostile inputs tried in ${tests} tests; ${sum('bystanders')} bystander processes checked, ` +
      `${sum('wrongSignals')} signalled that should not have been`,
  );
}

function survivors() {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
        out.push({ pid: Number(entry), cmd: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim() });
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

// Give processes that are exiting right now a moment to finish.
let left = survivors();
for (let i = 0; i < 20 && left.length > 0; i++) {
  await new Promise((r) => setTimeout(r, 100));
  left = survivors();
}
if (left.length > 0) {
  console.error(`\nFAIL: ${left.length} process(es) started by the tests are still alive:`);
  for (const p of left) console.error(`  pid ${p.pid}: ${p.cmd}`);
  for (const p of left) try { process.kill(p.pid, 'SIGTERM'); } catch {}
  await new Promise((r) => setTimeout(r, 1000));
  for (const p of survivors()) try { process.kill(p.pid, 'SIGKILL'); } catch {}
  process.exit(1);
}
process.exit(code);
