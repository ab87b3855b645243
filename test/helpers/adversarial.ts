// The adversarial suite's account: every hostile input a test tries is counted, and every
// bystander (a process that berth must never signal) is checked alive at the end of its test.
// test/run.mjs adds the counts up and prints them, so the suite states what it tried and that
// nothing was signalled that should not have been.
import { appendFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { isRunning, type Proc, start } from './procs.ts';

/** Adds n hostile inputs (files, bodies, lines, pids) tried by this test to the suite's tally. */
export function countHostile(t: TestContext, n: number, what: string): void {
  t.diagnostic(`${n} hostile inputs: ${what}`);
  record({ test: t.fullName, hostile: n, what });
}

/**
 * A process berth must never signal: `sleep` in a session and process group of its own
 * (unless opts say otherwise). At the end of the test it must still be alive; it is then
 * stopped by the test, and the check is on the suite's record.
 */
export function startBystander(t: TestContext, opts: { detached?: boolean; args?: string[]; cmd?: string } = {}): Proc {
  return start(t, opts.cmd ?? 'sleep', opts.args ?? ['1000'], { detached: opts.detached ?? true });
}

/** Asserts that every bystander is alive, and records how many were checked. Call at the end of the test. */
export function assertBystandersAlive(t: TestContext, bystanders: Array<Proc | number>): void {
  const dead = bystanders.map((b) => (typeof b === 'number' ? b : b.pid)).filter((pid) => !isRunning(pid));
  record({ test: t.fullName, bystanders: bystanders.length, wrongSignals: dead.length });
  if (dead.length > 0) throw new Error(`berth signalled process(es) it must never touch: pid ${dead.join(', ')}`);
}

/** Records bystanders checked elsewhere (e.g. inside a pid namespace) and how many were wrongly signalled. */
export function countBystanders(t: TestContext, checked: number, wrongSignals: number): void {
  record({ test: t.fullName, bystanders: checked, wrongSignals });
}

function record(entry: Record<string, unknown>): void {
  const file = process.env.BERTH_ADVERSARIAL_TALLY;
  if (file) appendFileSync(file, `${JSON.stringify(entry)}\n`);
}
