// The dashboard's /api routes: each is the app function the CLI verb calls, with a
// DashboardSession for the browser session, answering the document `--json` prints
// (docs/json.md). Nothing here re-implements a verb: the routes parse the query or body, call
// src/app, and send what it returns. /api/stream tells the page what changed, so that it
// refetches only that.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardSession } from '../app/dashboard.ts';
import { readEvents, listLocks, listPorts } from '../app/inspect.ts';
import { readLogs } from '../app/logs.ts';
import { freeTarget, parseFreeTarget, runDoctor } from '../app/maintenance.ts';
import { collectOrphanGarbage, listOrphans, ORPHAN_GRACE_MS } from '../app/orphans.ts';
import { listServices, restartService, stopVerb } from '../app/services.ts';
import { parseOrphanTarget } from '../app/input.ts';
import type { Registry } from '../core/registry/registry.ts';
import { bool, oneOf, optional, type Shape, ShapeError, str, strict } from '../core/shape.ts';
import type { SupervisorApi } from '../core/supervisor/api.ts';
import { BerthError, EXIT } from '../core/errors.ts';
import { followChanges } from './streams.ts';

// the CLI's defaults for the same verbs (berth stop/restart --grace, free --grace, --timeout)
const STOP_GRACE_MS = 10_000;
const FREE_GRACE_MS = 5_000;
const RESTART_TIMEOUT_MS = 60_000;
/** a comment line on the change stream, so that proxies and the browser keep an idle stream open */
export const HEARTBEAT_MS = 15_000;

export type ActionVerb = 'stop' | 'restart' | 'free' | 'gc-orphans';

const action = strict({
  verb: oneOf<ActionVerb>(['stop', 'restart', 'free', 'gc-orphans']),
  // a service's full name, a port, or PID:START (as berth orphans prints it)
  target: str({ min: 1, check: (s) => (s.length > 200 || s.includes('\0') ? 'at most 200 characters, no NUL' : undefined) }),
  force: optional(bool),
});

/** Runs a GET /api/… route; undefined when there is none of that name. */
export async function answerRead(session: DashboardSession, path: string, query: URLSearchParams): Promise<unknown> {
  switch (path) {
    case '/api/ps':
      return { services: (await listServices(session, { all: true })).services };
    case '/api/ports':
      return listPorts(session);
    case '/api/locks':
      return listLocks(session);
    case '/api/orphans':
      return listOrphans(session);
    case '/api/doctor':
      // no project directory: the daemon's view is the whole home's
      return runDoctor(session, session.home);
    case '/api/events':
      return readEvents(session, {
        ...optionalParam(query, 'limit', 'limit'),
        ...optionalParam(query, 'project', 'project'),
        ...optionalParam(query, 'session', 'session'),
        ...optionalParam(query, 'verb', 'verb'),
      });
    case '/api/logs': {
      const name = query.get('name');
      if (name === null) throw pageRequestError('/api/logs needs ?name=PROJECT/NAME', 'name');
      const doc = await readLogs(session, fullName(name, 'name'), query.get('lines') ?? undefined);
      const grep = query.get('grep');
      return { name: doc.name, lines: grep ? doc.lines.filter((l) => l.includes(grep)) : doc.lines };
    }
    default:
      return undefined;
  }
}

function optionalParam<K extends string>(query: URLSearchParams, param: string, key: K): Partial<Record<K, string>> {
  const value = query.get(param);
  return value === null ? {} : ({ [key]: value } as Record<K, string>);
}

/** POST /api/action: the verb's own app function, with the ownership rule, for the browser session. */
export async function runAction(session: DashboardSession, body: unknown): Promise<unknown> {
  const { verb, target, force = false } = parse(action, body);
  switch (verb) {
    case 'stop':
      return stopVerb(session, { name: fullName(target, 'target'), graceMs: STOP_GRACE_MS, force });
    case 'restart':
      return restartService(session, { name: fullName(target, 'target'), graceMs: STOP_GRACE_MS, wait: true, timeoutMs: RESTART_TIMEOUT_MS, force });
    case 'free':
      // a port only: a path would be resolved against the daemon's directory, not the user's
      if (!/^\d{1,5}$/.test(target)) throw pageRequestError(`free from the dashboard takes a port, not ${JSON.stringify(target)}`, 'target');
      return freeTarget(session, parseFreeTarget(target), force, FREE_GRACE_MS);
    case 'gc-orphans':
      return collectOrphanGarbage(session, false, [parseOrphanTarget(target)], ORPHAN_GRACE_MS);
  }
}

function parse<T>(shape: Shape<T>, body: unknown): T {
  try {
    return shape(body, '');
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    throw pageRequestError(`invalid action${err.path ? ` at ${err.path}` : ''}: ${err.message}`, err.path || undefined);
  }
}

/**
 * A service named from the page: its full name only. A bare name would be resolved against the
 * daemon's directory (its project), not the one the user means.
 */
function fullName(name: string, field: string): string {
  if (!name.includes('/')) throw pageRequestError(`the dashboard names a service by its full name, PROJECT/NAME, not ${JSON.stringify(name)}`, field);
  return name;
}

/** 400 bad_request for a request the page made wrong (an older page, a hand-made request). */
export function pageRequestError(message: string, field?: string): BerthError {
  return new BerthError('bad_request', message, {
    hint: 'the dashboard page sends this; reload it (or open the URL from berth dashboard again), of the same berth version as the daemon',
    exitCode: EXIT.usage,
    ...(field !== undefined ? { details: { field } } : {}),
  });
}

/**
 * GET /api/stream: `event: change` with {"kind":"service","name"} when a service's record changes
 * and {"kind":"event","id"} for each event recorded (by the daemon at once, by other processes
 * within a poll), and a heartbeat comment every HEARTBEAT_MS.
 */
export function streamChanges(registry: Registry, api: SupervisorApi, req: IncomingMessage, res: ServerResponse, heartbeatMs = HEARTBEAT_MS): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.write(': berth\n\n');
  const change = (data: unknown): void => {
    res.write(`event: change\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const stop = followChanges(registry, {
    after: undefined,
    subscribe: api.subscribe?.bind(api),
    onEvent: (event) => change({ kind: 'event', id: event.id }),
    onService: (name) => change({ kind: 'service', name }),
  });
  const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    stop();
  };
  req.on('close', end);
  res.on('close', end);
}
