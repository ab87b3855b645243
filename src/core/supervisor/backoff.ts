// Restart delays: doubling from 200 ms to a 30 s cap, with ±20 % jitter so that services that
// crashed together do not restart in lockstep. The count resets after 60 s healthy.

export const BACKOFF_MIN_MS = 200;
export const BACKOFF_MAX_MS = 30_000;
export const BACKOFF_RESET_AFTER_MS = 60_000;

/** The delay before restart number `attempt` (1 for the first restart after a crash). */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}
