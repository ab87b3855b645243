// Where a berth call spends its time, for docs/benchmarks.md and anyone chasing a slow call:
// with BERTH_PROFILE=1, phases record their start and end (performance.now(), milliseconds since
// the process started), and the CLI prints them on stderr as one `berth-profile {…}` line at the
// end. Off, a phase costs one boolean test: the hot verbs call this on every run.

export interface Span {
  phase: string;
  /** ms since the process started */
  start: number;
  /** ms spent */
  ms: number;
}

const enabled = process.env.BERTH_PROFILE === '1';
const spans: Span[] = [];

export function profiling(): boolean {
  return enabled;
}

/** Runs fn as the named phase (recorded only with BERTH_PROFILE=1). */
export function phase<T>(name: string, fn: () => T): T {
  if (!enabled) return fn();
  const start = performance.now();
  try {
    return fn();
  } finally {
    spans.push({ phase: name, start, ms: performance.now() - start });
  }
}

/** The same for a phase that awaits. */
export async function phaseAsync<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  const start = performance.now();
  try {
    return await fn();
  } finally {
    spans.push({ phase: name, start, ms: performance.now() - start });
  }
}

/** Records a phase that began at `start` and ended at `end` (performance.now(); default now). */
export function phaseSince(name: string, start: number, end: number = performance.now()): void {
  if (enabled) spans.push({ phase: name, start, ms: end - start });
}

/** The phases so far, in the order they ended. */
export function profileSpans(): Span[] {
  return [...spans];
}
