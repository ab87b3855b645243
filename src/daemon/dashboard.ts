// The dashboard's HTTP server, loaded by berthd only when `berth dashboard` first asks for it (a
// daemon whose page was never opened does not carry this code). It listens on 127.0.0.1 only, on
// a port leased for `berth/dashboard` from berth's range (sticky, shown in `berth ports`), and
// lets in only a browser that brought the token once (then an HttpOnly SameSite=Strict cookie),
// under a loopback Host; a change also needs the page's CSRF token and its own Origin.
// The contract: docs/dashboard.md; the reasons: docs/decisions/0025-dashboard-server.md.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { DashboardSession } from '../app/dashboard.ts';
import { BerthError, EXIT, isErrno } from '../core/errors.ts';
import { readIdentity } from '../core/identity.ts';
import { type Caller, detectOwner, type Owner } from '../core/owner.ts';
import { leasePort, releasePort } from '../core/ports/ports.ts';
import type { Registry } from '../core/registry/registry.ts';
import type { Settings } from '../core/settings.ts';
import type { Requester, SupervisorApi } from '../core/supervisor/api.ts';
import { answerRead, runAction, streamChanges } from './dashboard-api.ts';
import { BROWSER_COOKIE, cookie, isLoopbackHost, isOwnOrigin, parseCookies, sameSecret, TOKEN_COOKIE } from './dashboard-guard.ts';
import { renderPage, staticFile } from './dashboard-page.ts';
import { loadOrCreateToken } from './dashboard-token.ts';
import { HTTP_STATUS, readBody, send } from './server.ts';

/** The name berth leases the dashboard's port under: berth's own project. */
export const DASHBOARD_NAME = 'berth/dashboard';
// a port found taken between the lease and the bind is given back and another leased, this often
const BIND_ATTEMPTS = 3;
// browser sessions remembered (each a few hundred bytes); the oldest is forgotten beyond this
const MAX_BROWSER_SESSIONS = 1_000;

// Every answer: no caching of documents that name processes, no framing (clickjacking of the
// stop button), no sniffing, no referrer (the first URL carries the token), scripts from the
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
  /** the URL with the token, for `berth dashboard`; who asked becomes the owner the next browser session acts for */
  open(who: Requester): { url: string };
  close(): void;
}

/** Starts the dashboard: the token, the leased port, the server. */
export async function startDashboard(deps: DashboardDeps): Promise<Dashboard> {
  const { registry, settings } = deps;
  const token = loadOrCreateToken(settings.home);
  // per daemon run: a page loaded from an earlier run must reload to act
  const csrf = randomBytes(32).toString('hex');
  const browsers = new Map<string, Owner>();
  let opener: Owner = detectOwner();
  const state: ServerState = { ...deps, token, csrf, port: 0, browsers, opener: () => opener };
  const server = createServer((req, res) => {
    void handle(state, req, res);
  });
  state.port = await listenOnLease(server, registry, settings);
  return {
    port: state.port,
    open(who) {
      opener = who.owner;
      return { url: `http://127.0.0.1:${state.port}/?token=${token}` };
    },
    close() {
      server.close();
      server.closeAllConnections();
    },
  };
}

interface ServerState extends DashboardDeps {
  token: string;
  csrf: string;
  port: number;
  browsers: Map<string, Owner>;
  opener: () => Owner;
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
    const cookies = parseCookies(req.headers.cookie);
    if (req.method === 'GET' && url.pathname === '/' && url.searchParams.has('token')) return exchangeToken(state, url, res);
    if (!sameSecret(cookies.get(TOKEN_COOKIE), state.token)) return unauthorized(res, url.pathname);
    const session = browserSession(state, cookies.get(BROWSER_COOKIE), res);
    if (req.method === 'GET') return await answerGet(state, session, url, req, res);
    if (req.method === 'POST' && url.pathname === '/api/action') {
      if (!isOwnOrigin(req.headers.origin, host, state.port)) return refuse(res, 403, 'foreign_origin', 'a change must come from the dashboard page itself (its Origin)');
      const given = req.headers['x-berth-csrf'];
      if (!sameSecret(typeof given === 'string' ? given : undefined, state.csrf)) return refuse(res, 403, 'csrf_mismatch', 'a change needs the page\'s X-Berth-CSRF token: reload the page');
      return send(res, 200, await runAction(session, await readBody(req)));
    }
    return refuse(res, req.method === 'GET' || req.method === 'POST' ? 404 : 405, 'no_route', `no such dashboard route: ${req.method} ${url.pathname}`);
  } catch (caught) {
    if (caught instanceof BerthError) return send(res, HTTP_STATUS[caught.exitCode] ?? 500, { error: caught.toDocument() });
    process.stderr.write(`berthd: dashboard: internal error: ${caught instanceof Error ? caught.stack : String(caught)}\n`);
    send(res, 500, { error: { code: 'internal', message: caught instanceof Error ? caught.message : String(caught), hint: `this is a bug in berth; see ${state.settings.daemonLogPath}` } });
  }
}

/** GET /?token=T: the right token becomes the cookie (and a browser session), then the page without the token in its URL. */
function exchangeToken(state: ServerState, url: URL, res: ServerResponse): void {
  if (!sameSecret(url.searchParams.get('token'), state.token)) return unauthorized(res, '/');
  const sid = newBrowserSession(state);
  res.setHeader('set-cookie', [cookie(TOKEN_COOKIE, state.token), cookie(BROWSER_COOKIE, sid)]);
  res.writeHead(303, { location: '/' });
  res.end();
}

/** The browser session of a request: the one its cookie names, else a new one (for the current opener). */
function browserSession(state: ServerState, sid: string | undefined, res: ServerResponse): DashboardSession {
  let id = sid;
  if (id === undefined || !/^[0-9a-f]{16}$/.test(id) || !state.browsers.has(id)) {
    id = newBrowserSession(state);
    res.setHeader('set-cookie', cookie(BROWSER_COOKIE, id));
  }
  return new DashboardSession({ browserSession: id.slice(0, 8), owner: state.browsers.get(id)!, registry: state.registry });
}

function newBrowserSession(state: ServerState): string {
  const sid = randomBytes(8).toString('hex');
  if (state.browsers.size >= MAX_BROWSER_SESSIONS) state.browsers.delete(state.browsers.keys().next().value!);
  state.browsers.set(sid, state.opener());
  return sid;
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
  if (path.startsWith('/api/')) return refuse(res, 401, 'unauthorized', 'the dashboard needs its token: open the URL berth dashboard prints');
  html(res, 401, '<!doctype html><meta charset="utf-8"><title>berth</title><p>This is berth\'s dashboard. To open it, run <code>berth dashboard</code> and open the URL it prints.</p>\n');
}

function refuse(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { error: { code, message, hint: 'open the dashboard with the URL berth dashboard prints' } });
}

function html(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
