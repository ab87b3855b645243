// The dashboard's HTTP server, loaded by berthd only when `berth dashboard` first asks for it (a
// daemon whose page was never opened does not carry this code). It listens on 127.0.0.1 only, on
// a port leased for `berth/dashboard` from berth's range (sticky, shown in `berth ports`), and
// serves only connections from its own user (the client socket's uid in /proc/net/tcp), lets in
// only a browser that brought a single-use code from `berth dashboard` (then an HttpOnly
// SameSite=Strict cookie good for this daemon run), under a loopback Host; a change also needs
// the page's CSRF token and its own Origin.
// The contract: docs/dashboard.md; the reasons: docs/decisions/0025-dashboard-server.md.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { DashboardSession } from '../app/dashboard.ts';
import { BerthError, EXIT, isErrno } from '../core/errors.ts';
import { readIdentity } from '../core/identity.ts';
import { tcpClientUid } from '../core/inspect/sockets.ts';
import { type Caller, detectOwner } from '../core/owner.ts';
import { leasePort, releasePort } from '../core/ports/ports.ts';
import type { Registry } from '../core/registry/registry.ts';
import type { Settings } from '../core/settings.ts';
import type { Requester, SupervisorApi } from '../core/supervisor/api.ts';
import { answerRead, pageRequestError, runAction, streamChanges } from './dashboard-api.ts';
import { cookie, cookieValues, isLoopbackHost, isOwnOrigin, sameSecret, SESSION_COOKIE } from './dashboard-guard.ts';
import { renderPage, staticFile } from './dashboard-page.ts';
import { type BrowserSession, DashboardSessions } from './dashboard-sessions.ts';
import { HTTP_STATUS, readBody, send } from './server.ts';

/** The name berth leases the dashboard's port under: berth's own project. */
export const DASHBOARD_NAME = 'berth/dashboard';
// a port found taken between the lease and the bind is given back and another leased, this often
const BIND_ATTEMPTS = 3;
// Slow or idle connections cannot hold the daemon's descriptors: a bound on them, and on the
// time to send headers and a request (the change stream is a response, not bound by these).
const MAX_CONNECTIONS = 64;
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** an action is a few dozen bytes; a larger body is refused (413) before it is read */
const MAX_ACTION_BYTES = 16 * 1024;

// Every answer: no caching of documents that name processes, no framing (clickjacking of the
// stop button), no sniffing, no referrer (the first URL carries the code), scripts from the
// page's own origin only. And never an Access-Control-* header.
const SECURITY_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

export interface DashboardDeps {
  api: SupervisorApi;
  registry: Registry;
  settings: Settings;
}

export interface Dashboard {
  port: number;
  /** the URL with a new single-use code, for `berth dashboard`; the browser session it opens acts for who asked */
  open(who: Requester): { url: string };
  close(): void;
}

/** Starts the dashboard: the leased port, the server, its per-run secrets. */
export async function startDashboard(deps: DashboardDeps): Promise<Dashboard> {
  const { registry, settings } = deps;
  // per daemon run: a page loaded from an earlier run must reload to act
  const csrf = randomBytes(32).toString('hex');
  const state: ServerState = { ...deps, csrf, port: 0, sessions: new DashboardSessions() };
  // the exports object, not an ESM import (decision 0031, as in server.ts)
  const server = process.getBuiltinModule('node:http').createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, (req, res) => {
    void handle(state, req, res);
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.on('connection', (socket: Socket) => {
    if (!isOwnUser(socket)) socket.destroy();
  });
  state.port = await listenOnLease(server, registry, settings);
  return {
    port: state.port,
    open(who) {
      return { url: `http://127.0.0.1:${state.port}/?code=${state.sessions.mint(who.owner)}` };
    },
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}

interface ServerState extends DashboardDeps {
  csrf: string;
  port: number;
  sessions: DashboardSessions;
}

/**
 * True when the process at the other end of this loopback connection runs as the daemon's
 * user, or as root (who can read the daemon's home and memory anyway). Any other local user is
 * closed on before a byte is read: a cookie the browser sent to their server on another port
 * of 127.0.0.1 buys them nothing, and their idle connections hold no descriptor. Decided here
 * synchronously, in the connection's own event, before the HTTP parser sees data.
 */
function isOwnUser(socket: Socket): boolean {
  const { remotePort, localPort } = socket;
  if (remotePort === undefined || localPort === undefined) return false;
  const uid = tcpClientUid(remotePort, localPort);
  return uid !== undefined && (uid === process.getuid?.() || uid === 0);
}

/** Leases berth/dashboard's port (held by this daemon) and listens on it, on 127.0.0.1 only. */
async function listenOnLease(server: Server, registry: Registry, settings: Settings): Promise<number> {
  const caller: Caller = { actor: `berthd (pid ${process.pid})`, owner: detectOwner() };
  const holder = readIdentity(process.pid);
  for (let attempt = 1; ; attempt++) {
    const { port } = leasePort(registry, caller, DASHBOARD_NAME, { range: settings.portRange, ...(holder ? { holder } : {}) });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      return port;
    } catch (err) {
      if (!isErrno(err, 'EADDRINUSE') || attempt >= BIND_ATTEMPTS) {
        throw new BerthError('dashboard_failed', `the dashboard cannot listen on 127.0.0.1:${port}: ${err instanceof Error ? err.message : String(err)}`, { hint: `see who holds it: berth who ${port}`, exitCode: EXIT.failure, details: { port } });
      }
      // someone took it since it was leased: give it back; the next lease skips ports in use
      releasePort(registry, caller, DASHBOARD_NAME);
    }
  }
}

async function handle(state: ServerState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  const host = req.headers.host;
  try {
    // DNS rebinding: a foreign page that resolves its own name to 127.0.0.1 sends its own Host
    if (!isLoopbackHost(host, state.port)) return refuse(res, 421, 'foreign_host', `the dashboard answers only to 127.0.0.1:${state.port} and localhost:${state.port}`);
    const url = new URL(req.url ?? '/', `http://${host}`);
    if (req.method === 'GET' && url.pathname === '/' && url.searchParams.has('code')) return redeemCode(state, url, res);
    const browser = state.sessions.find(cookieValues(req.headers.cookie, SESSION_COOKIE));
    if (browser === undefined) return unauthorized(res, url.pathname);
    const session = dashboardSession(state, browser);
    if (req.method === 'GET') return await answerGet(state, session, url, req, res);
    if (req.method === 'POST' && url.pathname === '/api/action') {
      if (!isOwnOrigin(req.headers.origin, host, state.port)) return refuse(res, 403, 'foreign_origin', 'a change must come from the dashboard page itself (its Origin)');
      const given = req.headers['x-berth-csrf'];
      if (!sameSecret(typeof given === 'string' ? given : undefined, state.csrf)) return refuse(res, 403, 'csrf_mismatch', 'a change needs the page\'s X-Berth-CSRF token: reload the page');
      if (Number(req.headers['content-length'] ?? 0) > MAX_ACTION_BYTES) {
        res.setHeader('connection', 'close');
        return refuse(res, 413, 'request_too_large', `an action body is at most ${MAX_ACTION_BYTES} bytes`);
      }
      return send(res, 200, await runAction(session, await readActionBody(req)));
    }
    return refuse(res, req.method === 'GET' || req.method === 'POST' ? 404 : 405, 'no_route', `no such dashboard route: ${req.method} ${url.pathname}`);
  } catch (caught) {
    if (caught instanceof BerthError) return send(res, HTTP_STATUS[caught.exitCode] ?? 500, { error: caught.toDocument() });
    process.stderr.write(`berthd: dashboard: internal error: ${caught instanceof Error ? caught.stack : String(caught)}\n`);
    send(res, 500, { error: { code: 'internal', message: caught instanceof Error ? caught.message : String(caught), hint: `this is a bug in berth; see ${state.settings.daemonLogPath}` } });
  }
}

/** GET /?code=C: a live code opens a browser session (its secret in the cookie), then the page without the code in its URL. */
function redeemCode(state: ServerState, url: URL, res: ServerResponse): void {
  const secret = state.sessions.redeem(url.searchParams.get('code'));
  if (secret === undefined) return unauthorized(res, '/');
  res.setHeader('set-cookie', cookie(SESSION_COOKIE, secret));
  res.writeHead(303, { location: '/' });
  res.end();
}

function dashboardSession(state: ServerState, browser: BrowserSession): DashboardSession {
  return new DashboardSession({ browserSession: browser.id, owner: browser.owner, registry: state.registry });
}

/** The action's body; a body that is not JSON is the page's error, said so. */
async function readActionBody(req: IncomingMessage): Promise<unknown> {
  try {
    return await readBody(req);
  } catch (err) {
    if (err instanceof BerthError && err.code === 'bad_request') throw pageRequestError(err.message);
    throw err;
  }
}

async function answerGet(state: ServerState, session: DashboardSession, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = url.pathname;
  if (path === '/') return html(res, 200, renderPage(state.csrf));
  if (path === '/api/stream') return streamChanges(state.registry, state.api, req, res);
  if (path.startsWith('/api/')) {
    const doc = await answerRead(session, path, url.searchParams);
    if (doc === undefined) return refuse(res, 404, 'no_route', `no such dashboard route: GET ${path}`);
    return send(res, 200, doc);
  }
  const file = staticFile(path);
  if (!file) return refuse(res, 404, 'no_route', `no such file: ${path}`);
  res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length });
  res.end(file.body);
}

/** 401: an API caller gets the error document, a browser a page that says what to do. */
function unauthorized(res: ServerResponse, path: string): void {
  if (path.startsWith('/api/')) return refuse(res, 401, 'unauthorized', 'no dashboard session of this daemon run: open the URL from berth dashboard again');
  html(res, 401, '<!doctype html><meta charset="utf-8"><title>berth</title><p>This is berth\'s dashboard. To open it, run <code>berth dashboard</code> and open the URL it prints (each URL works once, within two minutes, and only until the daemon restarts).</p>\n');
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code, message, hint: 'open the dashboard with the URL berth dashboard prints' } });
}

function html(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
