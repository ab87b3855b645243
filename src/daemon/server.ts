// The daemon's API: HTTP + JSON over a Unix socket, one route per supervisor call, and
// server-sent event streams for the audit log and service output. Errors go
// out as {"error": {code, message, hint, details}, "exitCode"}: never a stack. Every body is
// checked against its schema (requests.ts) before it reaches the supervisor. `free` and `gc`
// run here when a daemon runs, so that the daemon is the single writer of service state and
// evictions (the CLI does them itself, with the same core modules, only when none runs).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { BerthError, EXIT } from '../core/errors.ts';
import { type Registry, translateOpenError } from '../core/registry/registry.ts';
import { applyFree } from '../core/free.ts';
import { runGc } from '../core/gc.ts';
import { collectOrphans } from '../core/orphans-gc.ts';
import { recordEvent } from '../core/registry/events.ts';
import type { Settings } from '../core/settings.ts';
import type { Requester, SupervisorApi } from '../core/supervisor/api.ts';
import { BadRequestError, parseAdoptRequest, parseBeatRequest, parseDashboardRequest, parseFreeRequest, parseGcOrphansRequest, parseGcRequest, parseRestartRequest, parseRunRequest, parseStopRequest, queryCount } from './requests.ts';
import { streamEvents, streamLogs } from './streams.ts';

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const MAX_LOG_LINES = 1_000_000;
const GC_STOP_GRACE_MS = 10_000;

/** The HTTP status of an error answer, by its exit code (shared with the dashboard's routes). */
export const HTTP_STATUS: Record<number, number> = { [EXIT.usage]: 400, [EXIT.conflict]: 409, [EXIT.notFound]: 404, [EXIT.failure]: 500 };

export interface ApiDeps {
  api: SupervisorApi;
  /** the build this daemon runs, sent with every answer so a client can tell it is outdated */
  build: string;
  registry: Registry;
  settings: Settings;
  onShutdown: () => void;
  /** starts the dashboard (loaded on first use) for the one who asked; its URL with the token */
  openDashboard?: (who: Requester) => Promise<{ url: string }>;
}

export function createApiServer(deps: ApiDeps): Server {
  // node:http's exports object, not an ESM import: its namespace's getters would load undici and
  // http2, ~9 MiB of an idle daemon (decision 0031)
  return process.getBuiltinModule('node:http').createServer((req, res) => {
    void handle(deps, req, res);
  });
}

async function handle(deps: ApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { api, registry, settings, onShutdown, build } = deps;
  const { home } = settings;
  res.setHeader('x-berth-build', build);
  try {
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    const url = parseUrl(req.url);
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /v1/events/stream') {
      streamEvents(registry, res, queryCount(url.searchParams, 'after', undefined, Number.MAX_SAFE_INTEGER), api.subscribe?.bind(api));
      return;
    }
    if (req.method === 'GET' && url.pathname.startsWith('/v1/logs/')) {
      streamLogs(home, res, decodePath(url.pathname.slice('/v1/logs/'.length)), queryCount(url.searchParams, 'n', 100, MAX_LOG_LINES)!, url.searchParams.get('follow') === '1');
      return;
    }
    let result: unknown;
    switch (route) {
      case 'GET /v1/status':
        result = await api.status();
        break;
      case 'GET /v1/services':
        result = { services: await api.list() };
        break;
      case 'POST /v1/run':
        result = await api.run(parseRunRequest(body));
        break;
      case 'POST /v1/stop':
        result = await api.stop(parseStopRequest(body));
        break;
      case 'POST /v1/restart':
        result = await api.restart(parseRestartRequest(body));
        break;
      case 'POST /v1/beat':
        result = await api.beat(parseBeatRequest(body));
        break;
      case 'POST /v1/rm':
        result = await api.remove(parseStopRequest(body));
        break;
      case 'POST /v1/adopt':
        result = await api.adopt(parseAdoptRequest(body));
        break;
      case 'POST /v1/free': {
        const r = parseFreeRequest(body);
        result = await applyFree(r.target, { registry, record: (event) => recordEvent(registry, r, event), caller: r, home, protect: r.protect ?? [], force: r.force, graceMs: r.graceMs, stopService: stopper(api, r, r.graceMs) });
        break;
      }
      case 'POST /v1/gc': {
        const r = parseGcRequest(body);
        result = await runGc(home, registry, r, r.dryRun, stopper(api, r, GC_STOP_GRACE_MS));
        break;
      }
      case 'POST /v1/gc-orphans': {
        const r = parseGcOrphansRequest(body);
        result = await collectOrphans({ registry, home, protect: r.protect ?? [], dryRun: r.dryRun, ...(r.targets ? { targets: r.targets } : {}), graceMs: r.graceMs, record: (event) => recordEvent(registry, r, event) });
        break;
      }
      case 'POST /v1/dashboard': {
        const who = parseDashboardRequest(body);
        if (!deps.openDashboard) throw new BerthError('dashboard_failed', 'this daemon serves no dashboard', { exitCode: EXIT.failure });
        result = await deps.openDashboard(who);
        break;
      }
      case 'POST /v1/shutdown':
        send(res, 200, { ok: true });
        onShutdown();
        return;
      default:
        send(res, 404, { error: { code: 'no_route', message: `no such API route: ${route}` }, exitCode: EXIT.failure });
        return;
    }
    send(res, 200, result);
  } catch (caught) {
    // a registry that went bad under us is reported as such, with its recovery
    const err = (caught as { errcode?: number }).errcode !== undefined ? translateOpenError(registry.path, caught) : caught;
    if (err instanceof BerthError) {
      send(res, HTTP_STATUS[err.exitCode] ?? 500, { error: err.toDocument(), exitCode: err.exitCode });
    } else {
      process.stderr.write(`berthd: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      send(res, 500, { error: { code: 'internal', message: err instanceof Error ? err.message : String(err), hint: `this is a bug in berth; see ${settings.daemonLogPath}` }, exitCode: EXIT.failure });
    }
  }
}

/** Stops a berth service through the supervisor, for the one who asked (ownership and protection go with it). */
function stopper(api: SupervisorApi, who: Requester, graceMs: number): (name: string, force?: boolean) => Promise<void> {
  return async (name, force = false) => {
    await api.stop({ name, graceMs, force, actor: who.actor, owner: who.owner, ...(who.protect ? { protect: who.protect } : {}) });
  };
}

function parseUrl(raw: string | undefined): URL {
  try {
    return new URL(raw ?? '/', 'http://berthd');
  } catch {
    throw new BadRequestError('the request URL cannot be parsed');
  }
}

function decodePath(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequestError('the request path is not valid percent-encoding');
  }
}

export function send(res: ServerResponse, status: number, doc: unknown): void {
  const text = JSON.stringify(doc);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BerthError('request_too_large', `request body larger than ${MAX_BODY_BYTES} bytes`, { exitCode: EXIT.usage }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
      } catch {
        reject(new BadRequestError('request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}
