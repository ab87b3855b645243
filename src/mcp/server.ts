// berth's MCP server (stdio): one tool per verb, each a thin call of the same operation the CLI
// runs, returning the same document as `--json` (as structured content) and a short text.
// Only protocol goes to stdout. Errors are isError results with berth's code, message and hint.
import { resolve } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { collectGarbage, freeTarget, parseFreeTarget, runDoctor } from '../app/maintenance.ts';
import { downProject, listServices, runService, upProject } from '../app/services.ts';
import { Session } from '../app/session.ts';
import { BerthError } from '../core/errors.ts';
import { findAllFileLocks } from '../core/inspect/holders.ts';
import { listHeldLocks } from '../core/locks/named-lock.ts';
import { leasePort, releasePort, reservePort } from '../core/ports/ports.ts';
import { listEvents } from '../core/registry/events.ts';
import { logPath, tailLines } from '../core/supervisor/logs.ts';
import { parseDuration, parseName, parsePort, parseTarget } from '../core/validate.ts';
import { whoHolds, whoListens } from '../core/who.ts';
import { LineTransport } from './transport.ts';

type Doc = Record<string, unknown>;
type ToolResult = { content: Array<{ type: 'text'; text: string }>; structuredContent?: Doc; isError?: boolean };

/** Runs one tool call in a fresh session; maps berth's typed errors to isError results. */
async function call(version: string, work: (s: Session) => Promise<{ doc: Doc; text: string }>): Promise<ToolResult> {
  const session = new Session({ actor: `mcp:berth ${version} (pid ${process.pid})` });
  try {
    const { doc, text } = await work(session);
    return { content: [{ type: 'text', text }], structuredContent: doc };
  } catch (err) {
    const error = err instanceof BerthError ? err.toDocument() : { code: 'internal', message: err instanceof Error ? err.message : String(err), hint: 'this is a bug in berth' };
    return { content: [{ type: 'text', text: `error ${error.code}: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ''}` }], structuredContent: { error }, isError: true };
  } finally {
    session.close();
  }
}

const seconds = (n: number | undefined, dflt: number): number => Math.round((n ?? dflt) * 1000);

export function createMcpServer(version: string): McpServer {
  const server = new McpServer({ name: 'berth', version });
  const tool = <S extends z.ZodRawShape>(
    name: string,
    description: string,
    inputSchema: S,
    annotations: { readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean },
    work: (args: z.infer<z.ZodObject<S>>, s: Session) => Promise<{ doc: Doc; text: string }>,
  ): void => {
    server.registerTool(name, { title: `berth ${name}`, description, inputSchema, annotations: { openWorldHint: false, ...annotations } }, ((args: z.infer<z.ZodObject<S>>) =>
      call(version, (s) => work(args, s))) as never);
  };

  const serviceName = z.string().describe('the service name: 1-64 of A-Z a-z 0-9 . _ -');
  const dir = z.string().optional().describe('the directory whose berth.yaml (or Procfile) to use; default: where the MCP server runs');

  tool(
    'run',
    'Make sure a long-running process (dev server, watcher, database) runs under a name, instead of starting it with & or nohup. Idempotent: calling it again with the same command returns the running one ("already_running"); a different command replaces it. Waits until it is ready. Use port "auto" to get a free port as $PORT (the same one every time for this name).',
    {
      name: serviceName,
      command: z.array(z.string()).min(1).describe('the argv, e.g. ["npm", "run", "dev", "--", "--port", "$PORT"]; no shell: use ["sh", "-c", "..."] for one. $PORT in an argument is replaced by the port'),
      port: z.union([z.literal('auto'), z.number().int().min(1).max(65535)]).optional().describe('"auto" to lease a port, or a number to reserve; omit for no port'),
      health: z.string().optional().describe('readiness check: http://127.0.0.1:$PORT/path, tcp:PORT, or cmd:COMMAND'),
      purpose: z.string().optional().describe('what it is for, shown to other agents in ps'),
      cwd: z.string().optional().describe('working directory (default: where the MCP server runs)'),
      env: z.record(z.string(), z.string()).optional().describe('extra environment variables'),
      restart: z.enum(['always', 'on-failure', 'never']).optional().describe('restart policy (default on-failure)'),
      on_conflict: z.enum(['refuse', 'evict', 'wait']).optional().describe('when a stranger holds its port or a lock file: refuse (default), evict it, or wait'),
      locks: z.array(z.string()).optional().describe('files it must hold alone, e.g. a database'),
      ephemeral: z.boolean().optional().describe('stop it (berth gc) once this agent session is gone'),
      wait: z.boolean().optional().describe('wait until ready (default true)'),
      timeout_seconds: z.number().positive().optional().describe('how long to wait until ready (default 60)'),
    },
    { destructiveHint: true, idempotentHint: true },
    async (a, s) => {
      const r = await runService(s, {
        name: a.name,
        argv: a.command,
        ...(a.port !== undefined ? { port: a.port } : {}),
        ...(a.health !== undefined ? { health: a.health } : {}),
        ...(a.purpose !== undefined ? { purpose: a.purpose } : {}),
        ...(a.cwd !== undefined ? { cwd: a.cwd } : {}),
        env: Object.entries(a.env ?? {}).map(([k, v]) => `${k}=${v}`),
        ...(a.restart !== undefined ? { restart: a.restart } : {}),
        ...(a.on_conflict !== undefined ? { onConflict: a.on_conflict } : {}),
        ...(a.locks !== undefined ? { locks: a.locks } : {}),
        ephemeral: a.ephemeral === true,
        wait: a.wait !== false,
        timeoutMs: seconds(a.timeout_seconds, 60),
      });
      const svc = r.service;
      return { doc: r as unknown as Doc, text: `${a.name}: ${r.outcome.replace('_', ' ')} (pid ${svc.pid ?? '-'}${svc.port !== null ? ` on port ${svc.port}` : ''}), ${svc.state}` };
    },
  );
  tool('up', 'Start the services a berth.yaml (or Procfile) declares, dependencies first; idempotent.', { dir, names: z.array(serviceName).optional().describe('only these services and their dependencies'), timeout_seconds: z.number().positive().optional() }, { destructiveHint: true, idempotentHint: true }, async (a, s) => {
    const r = await upProject(s, resolve(a.dir ?? '.'), a.names ?? [], seconds(a.timeout_seconds, 60));
    return { doc: r as unknown as Doc, text: r.services.map((x) => `${x.service.name}: ${x.outcome.replace('_', ' ')} (${x.service.state}${x.service.port !== null ? `, port ${x.service.port}` : ''})`).join('\n') };
  });
  tool('down', 'Stop the services a berth.yaml declares, dependents first.', { dir, names: z.array(serviceName).optional() }, { destructiveHint: true, idempotentHint: true }, async (a, s) => {
    const r = await downProject(s, resolve(a.dir ?? '.'), a.names ?? [], 10_000);
    return { doc: r as unknown as Doc, text: r.services.length ? `stopped ${r.services.map((x) => x.name).join(', ')}` : 'nothing to stop' };
  });
  tool('stop', "Stop a service's whole process tree (TERM, then KILL after the grace) and free its port. Use this instead of kill/pkill.", { name: serviceName, grace_seconds: z.number().min(0).optional() }, { destructiveHint: true, idempotentHint: true }, async (a, s) => {
    const svc = await (await s.client()).stop({ name: parseName(a.name, 'service name'), graceMs: seconds(a.grace_seconds, 10), ...s.requester() });
    return { doc: { service: svc }, text: `stopped ${a.name}` };
  });
  tool('restart', 'Stop and start a service with its recorded command; waits until ready.', { name: serviceName, timeout_seconds: z.number().positive().optional() }, { destructiveHint: true }, async (a, s) => {
    const r = await (await s.client()).restart({ name: parseName(a.name, 'service name'), graceMs: 10_000, wait: true, timeoutMs: seconds(a.timeout_seconds, 60), ...s.requester() });
    return { doc: r as unknown as Doc, text: `restarted ${a.name} (pid ${r.service.pid})` };
  });
  tool('ps', 'List services: name, state, pid, port, owner session, uptime, restarts, last exit, and why one is crash-looping.', { all: z.boolean().optional().describe('include stopped and exited'), mine: z.boolean().optional().describe("only this agent session's") }, { readOnlyHint: true }, async (a, s) => {
    const { services } = await listServices(s, { all: a.all === true, mine: a.mine === true });
    return { doc: { services }, text: services.length ? services.map((x) => `${x.name} ${x.state} pid=${x.pid ?? '-'} port=${x.port ?? '-'}${x.detail ? ` (${x.detail})` : ''}`).join('\n') : 'no services' };
  });
  tool('logs', "The last lines of a service's output.", { name: serviceName, lines: z.number().int().min(1).max(5000).optional().describe('how many (default 100)') }, { readOnlyHint: true }, async (a, s) => {
    const path = logPath(s.home, parseName(a.name, 'service name'));
    const lines = tailLines(path, a.lines ?? 100);
    return { doc: { name: a.name, path, lines }, text: lines.join('\n') || '(no output yet)' };
  });
  tool(
    'port',
    'Get the port leased to a name (leasing a free one if needed: never one in use or handed to someone else), or reserve a fixed port, or release. Use this instead of guessing a port.',
    { name: z.string().describe('the name the port is for'), ttl: z.string().optional().describe('lease lifetime, e.g. 2h'), reserve: z.number().int().min(1).max(65535).optional().describe('reserve this port for the name'), release: z.boolean().optional() },
    { idempotentHint: true },
    async (a, s) => {
      const name = parseName(a.name);
      if (a.release) {
        const released = releasePort(s.registry(), s.caller, name);
        return { doc: { released }, text: `released port ${released.port}` };
      }
      if (a.reserve !== undefined) {
        const r = reservePort(s.registry(), s.caller, name, parsePort(a.reserve));
        return { doc: r as unknown as Doc, text: `${r.port} reserved for ${name}` };
      }
      const r = leasePort(s.registry(), s.caller, name, { range: s.settings.portRange, ...(a.ttl ? { ttlMs: parseDuration(a.ttl, 'ttl') } : {}) });
      return { doc: r as unknown as Doc, text: String(r.port) };
    },
  );
  tool('who', 'Who listens on a port, or holds a file open or locked (pid, command, cwd, user, start time), and whether berth knows it. Use before killing anything.', { target: z.string().describe('a port number, or a file path') }, { readOnlyHint: true }, async (a, s) => {
    const target = parseTarget(a.target);
    if (target.kind === 'port') {
      const r = whoListens(target.port, s.existingRegistry());
      const pids = r.listeners.flatMap((l) => l.processes.map((p) => `pid ${p.pid}: ${p.command}`));
      return { doc: r as unknown as Doc, text: pids.length ? pids.join('\n') : `nothing listens on ${a.target}` };
    }
    const r = whoHolds(target.path, s.existingRegistry());
    return { doc: r as unknown as Doc, text: r.holders.length ? r.holders.map((h) => `pid ${h.process.pid}: ${h.process.command}${h.locks.length ? ` (${h.locks.map((l) => l.description).join('; ')})` : ''}`).join('\n') : `nobody holds ${r.path}` };
  });
  tool(
    'free',
    'Stop whatever holds a port or file, safely: identity-checked, graceful, recorded. A berth service is stopped as a service. Refuses a service of another live session unless force. Use this instead of pkill, killall, fuser -k or kill $(lsof ...).',
    { target: z.string().describe('a port number, or a file path'), force: z.boolean().optional().describe("also stop another live session's service") },
    { destructiveHint: true, idempotentHint: true },
    async (a, s) => {
      const r = await freeTarget(s, parseFreeTarget(a.target), a.force === true, 5_000);
      return { doc: r as unknown as Doc, text: r.stopped.length ? r.stopped.map((x) => `stopped ${x.service ? `service ${x.service}` : `pid ${x.pid}`} (${x.command})`).join('\n') : `nothing holds ${r.target}` };
    },
  );
  tool('locks', "berth's named locks and the host's file locks, with their holders.", {}, { readOnlyHint: true }, async (_a, s) => {
    const doc = { named: listHeldLocks(s.home, s.existingRegistry()), files: findAllFileLocks() };
    return { doc, text: `${doc.named.length} named locks, ${doc.files.length} file locks` };
  });
  tool('gc', 'Stop ephemeral services whose owner session is gone; drop lapsed leases, dead lock records and stale temp dirs.', { dry_run: z.boolean().optional() }, { destructiveHint: true, idempotentHint: true }, async (a, s) => {
    const r = await collectGarbage(s, a.dry_run === true);
    return { doc: r as unknown as Doc, text: r.actions.length ? r.actions.map((x) => `${r.dryRun ? 'would ' : ''}${x.kind} ${x.subject}: ${x.detail}`).join('\n') : 'nothing to clean up' };
  });
  tool('doctor', 'The collision map: ports held by strangers, crash loops and their cause, held database files, stale records; each with the command that fixes it.', { dir }, { readOnlyHint: true }, async (a, s) => {
    const r = await runDoctor(s, resolve(a.dir ?? '.'));
    return { doc: r as unknown as Doc, text: r.findings.length ? r.findings.map((f) => `${f.severity}: ${f.message}${f.fix ? ` (fix: ${f.fix})` : ''}`).join('\n') : 'all clear' };
  });
  tool('events', 'The audit log: who started, stopped, evicted, leased or locked what, and for which session.', { since: z.string().optional().describe('e.g. 1h'), limit: z.number().int().min(1).max(1000).optional() }, { readOnlyHint: true }, async (a, s) => {
    const registry = s.existingRegistry();
    const events = registry ? listEvents(registry, { ...(a.since ? { sinceMs: Date.now() - parseDuration(a.since, 'since') } : {}), limit: a.limit ?? 50 }) : [];
    return { doc: { events }, text: events.map((e) => `${e.at} ${e.verb} ${e.subject} ${e.outcome}`).join('\n') || 'no events' };
  });
  return server;
}

/** Serves MCP on stdin/stdout until the client closes stdin. Problems are logged to stderr. */
export async function serveStdio(version: string): Promise<void> {
  const server = createMcpServer(version);
  const transport = new LineTransport();
  const closed = new Promise<void>((done) => {
    transport.onclose = () => done();
  });
  // connect() keeps our onclose and calls it after its own
  await server.connect(transport);
  server.server.onerror = (err) => process.stderr.write(`berth mcp: ${err.message}\n`);
  await closed;
  await server.close();
}
