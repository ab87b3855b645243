// What the doors (CLI, MCP) may use to read what a user typed, so that the same text is
// accepted or refused the same way through both: the parsers live in the core, and this module
// is the app layer's one re-export of them (the doors import nothing from src/core but types
// and errors).
export { MAX_DURATION_MS, MAX_PID, parseCount, parseDuration, parseName, parsePid, parseWatchdog } from '../core/validate.ts';
export { MAX_RESTARTS_LIMIT } from '../core/supervisor/spec.ts';
export { packageVersion } from '../core/package.ts';
export { parseOrphanTarget } from '../core/orphans-gc.ts';

/** The longest duration berth takes from a door that speaks in seconds (MCP), as milliseconds. */
export function secondsToMs(seconds: number | undefined, dfltSeconds: number): number {
  return Math.round((seconds ?? dfltSeconds) * 1000);
}
