// Who may use the dashboard, remembered for one daemon run only. `berth dashboard` (a socket
// client, so the daemon's own user) mints a single-use code that expires in two minutes; the
// URL carries it; the browser trades it once for a browser-session secret in a cookie. Nothing
// is written to disk: a cookie from an earlier run, or one leaked to another port of 127.0.0.1
// (browsers send cookies to every port of a host), is worthless after a restart, and a URL
// left in a transcript or the browser's history is worthless after its first use or two
// minutes. Secrets are kept as their SHA-256, so a lookup does not compare the secret itself.
// See docs/decisions/0025-dashboard-server.md.
import { createHash, randomBytes } from 'node:crypto';
import type { Owner } from '../core/owner.ts';

/** how long a code from `berth dashboard` may wait for its browser */
export const CODE_TTL_MS = 120_000;
// codes waiting at once, and browser sessions remembered (each a few hundred bytes); the oldest is forgotten beyond these
const MAX_CODES = 100;
const MAX_BROWSER_SESSIONS = 1_000;
const SECRET = /^[0-9a-f]{64}$/;

export interface BrowserSession {
  /** a short public name for the record (the actor `dashboard:<id>`), not the secret */
  id: string;
  /** the owner of the `berth dashboard` call whose code opened it */
  owner: Owner;
}

export class DashboardSessions {
  private readonly codes = new Map<string, { owner: Owner; expires: number }>();
  private readonly browsers = new Map<string, BrowserSession>();

  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** A new single-use code that opens a browser session acting for owner. */
  mint(owner: Owner): string {
    const t = this.now();
    for (const [key, c] of this.codes) if (c.expires <= t) this.codes.delete(key);
    if (this.codes.size >= MAX_CODES) this.codes.delete(this.codes.keys().next().value!);
    const code = secret();
    this.codes.set(digest(code), { owner, expires: t + CODE_TTL_MS });
    return code;
  }

  /** Trades a code (once, before it expires) for a new browser session's secret; undefined when it is not a live code. */
  redeem(code: string | null): string | undefined {
    if (code === null || !SECRET.test(code)) return undefined;
    const key = digest(code);
    const found = this.codes.get(key);
    this.codes.delete(key);
    if (found === undefined || found.expires <= this.now()) return undefined;
    if (this.browsers.size >= MAX_BROWSER_SESSIONS) this.browsers.delete(this.browsers.keys().next().value!);
    const sessionSecret = secret();
    this.browsers.set(digest(sessionSecret), { id: randomBytes(4).toString('hex'), owner: found.owner });
    return sessionSecret;
  }

  /** The browser session of the first cookie value that names one of this run; undefined when none does. */
  find(values: readonly string[]): BrowserSession | undefined {
    for (const v of values) {
      if (!SECRET.test(v)) continue;
      const found = this.browsers.get(digest(v));
      if (found) return found;
    }
    return undefined;
  }
}

function secret(): string {
  return randomBytes(32).toString('hex');
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
