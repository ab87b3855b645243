// The dashboard's checks on every request, as pure functions of its headers. A page that can stop
// processes is a target for any web page the user visits: a DNS-rebinding page reaches
// 127.0.0.1 under its own host name (refused by the Host check), a cross-site form or fetch
// carries the user's cookie (refused by SameSite=Strict, the Origin check and the CSRF token,
// which a foreign page cannot read), and nothing here ever sends a CORS header. See
// docs/security.md ("The dashboard") and docs/decisions/0025-dashboard-server.md.
import { timingSafeEqual } from 'node:crypto';

/** The cookie that carries the token after the first visit, and the one naming the browser session. */
export const TOKEN_COOKIE = 'berth_dashboard';
export const BROWSER_COOKIE = 'berth_browser';

/** The Host headers the page answers to: the loopback names with its own port, nothing else. */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** True when Origin is the page's own origin (http://HOST, HOST being an accepted Host). */
export function isOwnOrigin(origin: string | undefined, host: string | undefined, port: number): boolean {
  return origin !== undefined && isLoopbackHost(host, port) && origin === `http://${host}`;
}

/** The cookies of a Cookie header, first value of each name. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

/** Compares a secret in constant time (a byte-by-byte compare leaks its prefix through timing). */
export function sameSecret(given: string | undefined | null, secret: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A cookie only this origin's pages send, and no script reads. */
export function cookie(name: string, value: string): string {
  return `${name}=${value}; HttpOnly; SameSite=Strict; Path=/`;
}
