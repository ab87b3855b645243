// Parsers for what users type: names, ports, durations. Each throws a UsageError that says
// what was wrong and what a good value looks like.
import { type ErrorCode, UsageError } from './errors.ts';

const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;

export function parseName(text: string, what = 'name'): string {
  // '.' and '..' pass the alphabet but name a directory's self or parent as a log or tmp path
  if (!NAME_RE.test(text) || /^\.+$/.test(text)) {
    throw new UsageError(`invalid ${what} ${JSON.stringify(text)}: use 1 to 64 of A-Z a-z 0-9 . _ -`, `for example: web, api.v2, db_1`, 'invalid_name');
  }
  return text;
}

const PORT_HINT = 'give a port from 1 to 65535, e.g. 8080 (berth run and MCP run take auto for a free one)';

export function parsePort(text: string | number): number {
  const s = String(text).trim().replace(/^:/, '');
  const port = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`invalid port ${JSON.stringify(String(text))}: a port is a whole number from 1 to 65535`, PORT_HINT, 'invalid_port');
  }
  return port;
}

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest duration berth takes: 100 years. Longer ones overflow a date (a TTL's expiry). */
export const MAX_DURATION_MS = 100 * 365 * 86_400_000;

/** "250ms", "30s", "5m", "2h", "1d", or a bare number of seconds; at most MAX_DURATION_MS. */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^(\d{1,20}(?:\.\d{1,20})?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid ${what} ${JSON.stringify(text)}`, 'write a number with a unit: 500ms, 30s, 5m, 2h, 1d', 'invalid_duration');
  const ms = Math.round(Number(m[1]) * UNITS_MS[m[2] ?? 's']!);
  if (!(ms <= MAX_DURATION_MS)) throw new UsageError(`invalid ${what} ${JSON.stringify(text)}: longer than 100 years`, 'write a shorter duration, e.g. 30d', 'invalid_duration');
  return ms;
}

/** The shortest watchdog interval: shorter cannot be kept by a beating service. */
export const MIN_WATCHDOG_MS = 100;
/** The longest (about 24.8 days): a timer longer than a signed 32-bit ms count fires at once in Node, a kill loop. */
export const MAX_WATCHDOG_MS = 2 ** 31 - 1;

/** A watchdog interval (--watchdog, `watchdog:`): a duration from MIN_WATCHDOG_MS to MAX_WATCHDOG_MS. */
export function parseWatchdog(text: string, what = 'watchdog'): number {
  const ms = parseDuration(text, what);
  const hint = 'give the interval within which the service sends WATCHDOG=1, e.g. 30s';
  if (ms < MIN_WATCHDOG_MS) throw new UsageError(`invalid ${what} ${JSON.stringify(text)}: shorter than 100ms`, hint, 'invalid_watchdog');
  if (ms > MAX_WATCHDOG_MS) throw new UsageError(`invalid ${what} ${JSON.stringify(text)}: longer than 24d (${MAX_WATCHDOG_MS} ms), the longest timer berth can keep`, hint, 'invalid_watchdog');
  return ms;
}

/** A whole number from min to max (a count: -n, --limit, --max-restarts; a pid), as typed. */
export function parseCount(text: string, what: string, opts: { min?: number; max: number; code?: ErrorCode; hint?: string }): number {
  const min = opts.min ?? 0;
  const s = text.trim();
  const n = /^\d{1,16}$/.test(s) ? Number(s) : NaN;
  if (!(Number.isSafeInteger(n) && n >= min && n <= opts.max)) {
    throw new UsageError(`invalid ${what} ${JSON.stringify(text)}: a whole number from ${min} to ${opts.max}`, opts.hint ?? `write digits only, e.g. ${Math.max(min, Math.min(10, opts.max))}`, opts.code ?? 'invalid_count');
  }
  return n;
}

/** Linux's largest pid (PID_MAX_LIMIT, 2^22); other systems stay below it. */
export const MAX_PID = 2 ** 22;

/** A process id, as typed (gc --orphans --pid, adopt --pid): its own code, not a count's. */
export function parsePid(text: string, what = '--pid'): number {
  return parseCount(text, what, { min: 1, max: MAX_PID, code: 'invalid_pid', hint: 'give a process id as berth orphans or ps lists it, e.g. 12345' });
}

/**
 * A port or a path, as `who` and `free` take it. An empty argument is refused: resolved as a
 * path it would silently mean the current directory. So is a NUL byte, which no path holds.
 */
export function parseTarget(text: string): { kind: 'port'; port: number } | { kind: 'path'; path: string } {
  if (text.trim() === '') throw new UsageError('empty port or path', 'give a port (8765 or :8765) or a file path; for this directory write .', 'invalid_target');
  if (text.includes('\0')) throw new UsageError(`invalid path ${JSON.stringify(text)}: it contains a NUL byte`, 'give the path without the NUL byte', 'invalid_target');
  if (/^:?\d+$/.test(text.trim())) return { kind: 'port', port: parsePort(text) };
  return { kind: 'path', path: text };
}

export interface PortRange {
  low: number;
  high: number;
}

export const DEFAULT_PORT_RANGE: PortRange = { low: 20000, high: 29999 };

/** BERTH_PORT_RANGE as "LOW-HIGH". */
export function parsePortRange(text: string | undefined): PortRange {
  if (text === undefined || text.trim() === '') return DEFAULT_PORT_RANGE;
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  const low = m ? Number(m[1]) : NaN;
  const high = m ? Number(m[2]) : NaN;
  if (!(low >= 1 && high <= 65535 && low <= high)) {
    throw new UsageError(`invalid BERTH_PORT_RANGE ${JSON.stringify(text)}`, 'write it as LOW-HIGH within 1-65535, e.g. 20000-29999', 'invalid_port_range');
  }
  return { low, high };
}
