// Parsers for what users type: names, ports, durations. Each throws a UsageError that says
// what was wrong and what a good value looks like.
import { UsageError } from './errors.ts';

const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;

export function parseName(text: string, what = 'name'): string {
  if (!NAME_RE.test(text)) {
    throw new UsageError(`invalid ${what} ${JSON.stringify(text)}: use 1 to 64 of A-Z a-z 0-9 . _ -`, `for example: web, api.v2, db_1`, 'invalid_name');
  }
  return text;
}

export function parsePort(text: string | number): number {
  const s = String(text).trim().replace(/^:/, '');
  const port = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`invalid port ${JSON.stringify(String(text))}: a port is a whole number from 1 to 65535`, undefined, 'invalid_port');
  }
  return port;
}

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "250ms", "30s", "5m", "2h", "1d", or a bare number of seconds. */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid ${what} ${JSON.stringify(text)}`, 'write a number with a unit: 500ms, 30s, 5m, 2h, 1d', 'invalid_duration');
  return Math.round(Number(m[1]) * UNITS_MS[m[2] ?? 's']!);
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
