// Where berth's time goes, with BERTH_PROFILE=1 (off, each call below costs one boolean test).
// Two kinds of record, for two questions:
// - Phases of one CLI call (phase, phaseAsync, phaseSince): their start and length, kept in
//   memory and printed by the CLI at its end as one `berth-profile {…}` line on stderr
//   (bench/profile.mjs: the hot verbs' breakdown). Only a process that asked for them with
//   collectPhases() keeps them: the daemon inherits BERTH_PROFILE and must not grow a list.
// - Marks across processes (mark, markProcessStart): one `berth-mark {…}` line each, at once, on
//   stderr (the daemon's is its log), with a wall-clock time to the microsecond, so that a
//   recovery split over the CLI and the daemon it starts can be lined up (bench/recovery.mjs).

export interface Span {
  phase: string;
  /** ms since the process started */
  start: number;
  /** ms spent */
  ms: number;
}

const ON = process.env.BERTH_PROFILE === '1';

/**
 * Milliseconds since this process started. process.uptime(), not sinceStart(): the
 * `performance` global loads a dozen perf_hooks modules on first touch, ~0.6 ms that every call
 * would pay for a profile it does not take.
 */
export function sinceStart(): number {
  return process.uptime() * 1000;
}
let collecting = false;
const spans: Span[] = [];

/** Whether BERTH_PROFILE=1 asks for timings. */
export function profiling(): boolean {
  return ON;
}

/** Starts keeping phases (the CLI, once, when profiling). */
export function collectPhases(): void {
  collecting = ON;
}

function keep(name: string, start: number, end: number): void {
  if (collecting) spans.push({ phase: name, start, ms: end - start });
}

/** Runs fn as the named phase (kept only when collecting). */
export function phase<T>(name: string, fn: () => T): T {
  if (!collecting) return fn();
  const start = sinceStart();
  try {
    return fn();
  } finally {
    keep(name, start, sinceStart());
  }
}

/** The same for a phase that awaits. */
export async function phaseAsync<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!collecting) return fn();
  const start = sinceStart();
  try {
    return await fn();
  } finally {
    keep(name, start, sinceStart());
  }
}

/** Records a phase that began at `start` and ended at `end` (sinceStart(); default now). */
export function phaseSince(name: string, start: number, end?: number): void {
  if (collecting) keep(name, start, end ?? sinceStart());
}

/** The phases so far, in the order they ended. */
export function profileSpans(): Span[] {
  return [...spans];
}

/** The prefix of a mark's line, for the benchmark to find them in a log. */
export const MARK_PREFIX = 'berth-mark ';

/** Writes one timing mark (phase, with plain facts) when BERTH_PROFILE=1; otherwise does nothing. */
export function mark(phase: string, facts?: Record<string, string | number | boolean | null>): void {
  if (!ON) return;
  writeMark(phase, performance.timeOrigin + performance.now(), facts);
}

/** The mark of this process's own start (Node's time origin), written once by an entry point. */
export function markProcessStart(who: string): void {
  if (!ON) return;
  writeMark(`${who}-process`, performance.timeOrigin);
}

function writeMark(phase: string, t: number, facts?: Record<string, string | number | boolean | null>): void {
  process.stderr.write(`${MARK_PREFIX}${JSON.stringify({ t: Math.round(t * 1000) / 1000, pid: process.pid, phase, ...facts })}\n`);
}
