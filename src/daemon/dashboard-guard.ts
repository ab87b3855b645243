// The dashboard's checks on every request, as pure functions of its headers. A page that can stop
// processes is a target for any web page the user visits: a DNS-rebinding page reaches
// 127.0.0.1 under its own host name (refused by the Host check), a cross-site form or fetch
// carries the user's cookie (refused by SameSite=Strict, the Origin check and the CSRF token,
// which a foreign page cannot read), and nothing here ever sends a CORS header. See
// docs/security.md ("The dashboard") and docs/decisions/0025-dashboard-server.md.
import { timingSafeEqual } from 'node:crypto';

/** The cookie that carries the browser session's secret after the first visit. */
export const SESSION_COOKIE = 'berth_dashboard';

/** The Host headers the page answers to: the loopback names with its own port, nothing else. */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** True when Origin is the page's own origin (http://HOST, HOST being an accepted Host). */
export function isOwnOrigin(origin: string | undefined, host: string | undefined, port: number): boolean {
  return origin !== undefined && isLoopbackHost(host, port) && origin === `http://${host}`;
}

/**
 * Every value of the named cookie in a Cookie header. All of them, not the first: another page
 * of 127.0.0.1 can plant a cookie of the same name with a longer Path, which the browser sends
 * first, and must not lock the user out by that.
 */
export function cookieValues(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq >= 0 && part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
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
