// Timing marks for bench/recovery.mjs: where a recovery (a `berth up` that finds an orphan of the
// service, or a squatter to evict, on its port) spends its time is split over two processes, the
// CLI and the daemon it may start, so each writes its marks to its own stderr (the daemon's is
// its log) as one line with a wall-clock time precise to the microsecond, and the benchmark
// lines them up. Off unless BERTH_PROFILE=1: the variable is read once, and a mark is then a
// single comparison. The daemon inherits the variable from the CLI that starts it.
const ON = process.env['BERTH_PROFILE'] === '1';

/** The prefix of a mark's line, for the benchmark to find them in a log. */
export const PROFILE_PREFIX = 'berth-profile ';

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
  process.stderr.write(`${PROFILE_PREFIX}${JSON.stringify({ t: Math.round(t * 1000) / 1000, pid: process.pid, phase, ...facts })}\n`);
}
