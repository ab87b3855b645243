// The tools: one per verb an agent can use, each parsing its arguments, calling the verb's app
// function (the same one the CLI calls) and summing the document up in a line of text. Tool
// names are the CLI verbs (daemon status is daemon_status); `lock` lists named locks and their
// holders, since acquire-and-run (`berth lock NAME -- CMD`) needs the command's own process;
// for the same reason `slots` lists semaphore slots, while `rate_take` takes a token (a token
// is spent, not held, so the tool call itself can take it for the agent).
import { resolve } from 'node:path';
import { z } from 'zod';
import { adoptProcess } from '../app/adopt.ts';
import { daemonStatus } from '../app/daemon.ts';
import { MAX_DURATION_MS, MAX_PID, MAX_RESTARTS_LIMIT, parseOrphanTarget, parseWatchdog, secondsToMs } from '../app/input.ts';
import { listLocks, listNamedLocks, listPorts, listSlots, MAX_EVENTS, readEvents, who } from '../app/inspect.ts';
import { takeRateToken } from '../app/rate.ts';
import { MAX_LOG_LINES, readLogs } from '../app/logs.ts';
import { collectGarbage, freeTarget, parseFreeTarget, runDoctor } from '../app/maintenance.ts';
import { collectOrphanGarbage, listOrphans, refusePidsWithoutOrphans } from '../app/orphans.ts';
import { portVerb } from '../app/ports.ts';
import { renderHint } from '../app/errors.ts';
import { downProject, evictionLine, listServices, removeService, restartService, runService, stopVerb, upProject } from '../app/services.ts';
import { berthYamlSchema } from '../app/tools.ts';
import { portNumber, secondsNumber, wholeNumber } from './schema.ts';
import type { DefineTool, Doc } from './server.ts';

const serviceName = z.string().describe('the service name: web (this project\'s, or the only one of that name) or project/web; each part 1-64 of A-Z a-z 0-9 . _ -');
const project = z.string().optional().describe('the project a bare name is in (default: BERTH_PROJECT, else the project of the directory the MCP server runs in)');
const dir = z.string().optional().describe('the directory whose berth.yaml (or Procfile) to use; default: where the MCP server runs');
const grace = secondsNumber(0, MAX_DURATION_MS).optional().describe('seconds to wait after TERM before KILL (default 10)');
const timeout = secondsNumber(0, MAX_DURATION_MS).positive().optional().describe('seconds to wait until ready (default 60)');
const doc = (value: object): Doc => value as Doc;
const force = z.boolean().optional().describe("act on a service another live agent session owns (refused without it; the override is recorded). Only when you are sure it is not in use");

export function registerTools(tool: DefineTool): void {
  tool({
    name: 'run',
    description:
      'Make sure a long-running process (dev server, watcher, database) runs under a name: use this instead of starting it with & or nohup in a shell. Idempotent: calling it again with the same command returns the running one ("already_running"); a different command replaces it. Waits until it is ready. Use port "auto" to get a free port as $PORT (the same one every time for this name).',
    input: {
      name: serviceName,
      project,
      command: z.array(z.string()).min(1).describe('the argv, e.g. ["npm", "run", "dev", "--", "--port", "$PORT"]; no shell: use ["sh", "-c", "..."] for one. $PORT in an argument is replaced by the port'),
      port: z.union([z.literal('auto'), portNumber()]).optional().describe('"auto" to lease a port, or a number to reserve; omit for no port'),
      health: z.string().optional().describe('readiness check: http://127.0.0.1:$PORT/path, tcp:PORT, cmd:COMMAND, or notify: ready when a process of it sends READY=1 (sd_notify to $NOTIFY_SOCKET, or `berth beat --ready` in it) and, with a port, holds the port'),
      watchdog: z.string().optional().describe('e.g. "30s": a process of it must send WATCHDOG=1 (sd_notify, or `berth beat` in it) at least this often, else it is hung: stopped and restarted by its restart policy. At least 100ms'),
      purpose: z.string().optional().describe('what it is for, shown to other agents in ps'),
      cwd: z.string().optional().describe('working directory (default: where the MCP server runs)'),
      env: z.record(z.string(), z.string()).optional().describe('extra environment variables'),
      restart: z.enum(['always', 'on-failure', 'never']).optional().describe('restart policy (default on-failure)'),
      max_restarts: wholeNumber(0, MAX_RESTARTS_LIMIT).optional().describe('give up after this many restarts (default: never give up)'),
      on_conflict: z.enum(['refuse', 'evict', 'wait']).optional().describe('when a stranger holds its port or a lock file: refuse (default), evict it, or wait'),
      locks: z.array(z.string()).optional().describe('files it must be the only writer of, e.g. a database (a reader is never in the way); PATH:exclusive for one that allows one process at all (DuckDB)'),
      keep: z.boolean().optional().describe('keep it running after this agent session ends (by default berth stops it then)'),
      ephemeral: z.boolean().optional().describe('stop it when this session ends: the default for an agent session, needed only from a terminal'),
      port_from_listener: z.boolean().optional().describe('if it listens on another port than $PORT, take that port as its port (else that is a port_mismatch error at once)'),
      wait: z.boolean().optional().describe('wait until ready (default true)'),
      timeout_seconds: timeout,
      force,
    },
    output: ['run'],
    annotations: { destructiveHint: true, idempotentHint: true },
    work: async (a, s) => {
      const r = await runService(s, {
        name: a.name,
        ...(a.project !== undefined ? { project: a.project } : {}),
        argv: a.command,
        ...(a.port !== undefined ? { port: a.port } : {}),
        ...(a.health !== undefined ? { health: a.health } : {}),
        ...(a.watchdog !== undefined ? { watchdogMs: parseWatchdog(a.watchdog, 'watchdog') } : {}),
        ...(a.purpose !== undefined ? { purpose: a.purpose } : {}),
        ...(a.cwd !== undefined ? { cwd: a.cwd } : {}),
        env: Object.entries(a.env ?? {}).map(([k, v]) => `${k}=${v}`),
        ...(a.restart !== undefined ? { restart: a.restart } : {}),
        ...(a.max_restarts !== undefined ? { maxRestarts: a.max_restarts } : {}),
        ...(a.on_conflict !== undefined ? { onConflict: a.on_conflict } : {}),
        ...(a.locks !== undefined ? { locks: a.locks } : {}),
        keep: a.keep === true,
        ephemeral: a.ephemeral === true,
        ...(a.port_from_listener === true ? { portFromListener: true } : {}),
        wait: a.wait !== false,
        timeoutMs: secondsToMs(a.timeout_seconds, 60),
        force: a.force === true,
      });
      const svc = r.service;
      const warnings = r.warnings.map((w) => renderHint(w, 'mcp'));
      // the lifetime note the CLI prints (decision 0017), unless a warning says the lifetime was not changed
      const lifetime = warnings.length === 0 && svc.lifetime === 'session' && svc.owner?.process !== undefined ? [`${a.name} stops when your session (${svc.owner.session}) ends; run it with keep: true to keep it running`] : [];
      const head = `${a.name}: ${r.outcome.replace('_', ' ')} (pid ${svc.pid ?? '-'}${svc.port !== null ? ` on port ${svc.port}` : ''}), ${svc.state}`;
      return { doc: doc({ ...r, warnings }), text: [head, ...(r.evicted ?? []).map(evictionLine), ...warnings.map((w) => `warning: ${w}`), ...lifetime].join('\n') };
    },
  });
  tool({
    name: 'up',
    description: 'Start the services a berth.yaml (or Procfile) declares, dependencies first; idempotent. Use this instead of starting a project\'s processes one by one in a shell.',
    input: { dir, project, names: z.array(serviceName).optional().describe('only these services and their dependencies'), timeout_seconds: timeout, force },
    output: ['up'],
    annotations: { destructiveHint: true, idempotentHint: true },
    work: async (a, s) => {
      const r = await upProject(s, resolve(a.dir ?? '.'), a.names ?? [], secondsToMs(a.timeout_seconds, 60), undefined, { force: a.force === true, project: a.project });
      return { doc: doc(r), text: r.services.map((x) => `${x.service.name}: ${x.outcome.replace('_', ' ')} (${x.service.state}${x.service.port !== null ? `, port ${x.service.port}` : ''})`).join('\n') };
    },
  });
  tool({
    name: 'down',
    description: 'Stop the services a berth.yaml declares, dependents first. Use this instead of stopping a project\'s processes one by one.',
    input: { dir, project, names: z.array(serviceName).optional(), grace_seconds: grace, force },
    output: ['down'],
    annotations: { destructiveHint: true, idempotentHint: true },
    work: async (a, s) => {
      const r = await downProject(s, resolve(a.dir ?? '.'), a.names ?? [], secondsToMs(a.grace_seconds, 10), { force: a.force === true, project: a.project });
      return { doc: doc(r), text: r.services.length ? `stopped ${r.services.map((x) => x.name).join(', ')}` : 'nothing to stop' };
    },
  });
  tool({
    name: 'stop',
    description: "Stop a service's whole process tree (TERM, then KILL after the grace) and free its port; or, with mine, every service of this agent session. Use this instead of kill, pkill or killall.",
    input: { name: serviceName.optional(), project, mine: z.boolean().optional().describe("every running service of this agent session"), session: z.string().optional().describe('every running service of that session'), grace_seconds: grace, force },
    output: ['stop', 'stop-session'],
    annotations: { destructiveHint: true, idempotentHint: true },
    work: async (a, s) => {
      const r = await stopVerb(s, { ...(a.name !== undefined ? { name: a.name } : {}), mine: a.mine === true, ...(a.session !== undefined ? { session: a.session } : {}), graceMs: secondsToMs(a.grace_seconds, 10), force: a.force === true, ...(a.project !== undefined ? { project: a.project } : {}) });
      return { doc: doc(r), text: 'service' in r ? `stopped ${r.service.name}` : r.services.length ? `stopped ${r.services.map((x) => x.name).join(', ')}` : `no running services of session ${r.session}` };
    },
  });
  tool({
    name: 'restart',
    description: 'Stop and start a service with its recorded command; waits until ready. It keeps its owner session unless take. Use this instead of killing and re-running it by hand.',
    input: { name: serviceName, project, grace_seconds: grace, wait: z.boolean().optional().describe('wait until ready (default true)'), timeout_seconds: timeout, force, take: z.boolean().optional().describe('make this agent session its owner (recorded)') },
    output: ['restart'],
    annotations: { destructiveHint: true },
    work: async (a, s) => {
      const r = await restartService(s, { name: a.name, graceMs: secondsToMs(a.grace_seconds, 10), wait: a.wait !== false, timeoutMs: secondsToMs(a.timeout_seconds, 60), force: a.force === true, take: a.take === true, ...(a.project !== undefined ? { project: a.project } : {}) });
      return { doc: doc(r), text: `restarted ${r.service.name} (pid ${r.service.pid ?? '-'}), ${r.service.state}` };
    },
  });
  tool({
    name: 'adopt',
    description:
      'Put a server that is already running but was not started by berth (found by pid, port or pidfile) under a name, without restarting it: from then on it is watched, listed in ps, stopped with stop and restarted from its recorded command like a service. Use this instead of killing and re-running a server you or another agent started by hand. A stale pidfile (its pid gone or reused) is refused.',
    input: {
      name: serviceName,
      project,
      pid: wholeNumber(1, MAX_PID).positive().optional().describe('the process with this pid'),
      port: portNumber().optional().describe('the process listening on this port'),
      pidfile: z.string().optional().describe('the process this pidfile names (relative to where the MCP server runs)'),
      restart: z.enum(['always', 'on-failure', 'never']).optional().describe('restart it from its recorded command when it ends (default never)'),
      health: z.string().optional().describe('readiness check: http://127.0.0.1:$PORT/path, tcp:PORT, or cmd:COMMAND'),
      purpose: z.string().optional().describe('what it is for, shown to other agents in ps'),
    },
    output: ['adopt'],
    annotations: { destructiveHint: false, idempotentHint: true },
    work: async (a, s) => {
      const r = await adoptProcess(s, {
        name: a.name,
        ...(a.project !== undefined ? { project: a.project } : {}),
        ...(a.pid !== undefined ? { pid: a.pid } : {}),
        ...(a.port !== undefined ? { port: a.port } : {}),
        ...(a.pidfile !== undefined ? { pidfile: a.pidfile } : {}),
        ...(a.restart !== undefined ? { restart: a.restart } : {}),
        ...(a.health !== undefined ? { health: a.health } : {}),
        ...(a.purpose !== undefined ? { purpose: a.purpose } : {}),
      });
      return { doc: doc(r), text: [`${r.outcome === 'adopted' ? 'adopted' : 'already adopted:'} ${r.service.fullName} (pid ${r.service.pid ?? '-'}${r.service.port !== null ? ` on port ${r.service.port}` : ''})`, ...r.warnings.map((w) => `warning: ${w}`)].join('\n') };
    },
  });
  tool({
    name: 'rm',
    description: 'Stop a service and forget it; its leased port is released. Use this when a service is no longer wanted (a failed one stays listed until removed).',
    input: { name: serviceName, project, grace_seconds: grace, force },
    output: ['rm'],
    annotations: { destructiveHint: true },
    work: async (a, s) => {
      const r = await removeService(s, a.name, secondsToMs(a.grace_seconds, 10), { force: a.force === true, project: a.project });
      return { doc: doc(r), text: `removed ${r.removed.name}${r.removed.port !== null ? ` (port ${r.removed.port} released)` : ''}` };
    },
  });
  tool({
    name: 'ps',
    description: 'List services: name, state, pid, port, owner session, uptime, restarts, last exit, and why one is crash-looping; or one service by name. Use this instead of ps/pgrep to see what runs.',
    input: { name: serviceName.optional().describe('only this service, whatever its state'), project: z.string().optional().describe('only this project\'s services (and the project a bare name is in)'), all: z.boolean().optional().describe('include stopped and exited'), mine: z.boolean().optional().describe("only this agent session's") },
    output: ['ps'],
    annotations: { readOnlyHint: true },
    work: async (a, s) => {
      const { services } = await listServices(s, { all: a.all === true, mine: a.mine === true, ...(a.project !== undefined ? { project: a.project } : {}), ...(a.name !== undefined ? { name: a.name } : {}) });
      return { doc: { services }, text: services.length ? services.map((x) => `${x.fullName} ${x.state} pid=${x.pid ?? '-'} port=${x.port ?? '-'}${x.detail ? ` (${x.detail})` : ''}`).join('\n') : 'no services' };
    },
  });
  tool({
    name: 'logs',
    description: "The last lines of a service's output (stdout and stderr). Use this instead of reading log files or re-running the command to see why it failed.",
    input: { name: serviceName, project, lines: wholeNumber(0, MAX_LOG_LINES).optional().describe('how many (default 100)') },
    output: ['logs'],
    annotations: { readOnlyHint: true },
    work: async (a, s) => {
      const r = await readLogs(s, a.name, a.lines ?? 100, { project: a.project });
      return { doc: doc(r), text: r.lines.join('\n') || '(no output yet)' };
    },
  });
  tool({
    name: 'port',
    description: 'Get the port leased to a name (leasing a free one if needed: never one in use or handed to someone else), or reserve a fixed port, or release. Use this instead of guessing a port or scanning for a free one.',
    input: {
      name: z.string().describe('the name the port is for: web (this project\'s) or project/web'),
      project,
      ttl: z.string().optional().describe('lease lifetime, e.g. 2h'),
      reserve: z.union([z.boolean(), portNumber()]).optional().describe('true (with port), or the port itself: reserve it for the name'),
      port: portNumber().optional().describe('with reserve: the port to reserve'),
      release: z.boolean().optional().describe("release the name's lease or reservation"),
    },
    output: ['port', 'port-release'],
    annotations: { idempotentHint: true },
    work: async (a, s) => {
      const port = typeof a.reserve === 'number' ? a.reserve : a.port;
      const r = await portVerb(s, { name: a.name, ...(a.project !== undefined ? { project: a.project } : {}), ...(port !== undefined ? { port } : {}), ...(a.ttl !== undefined ? { ttl: a.ttl } : {}), reserve: a.reserve !== undefined && a.reserve !== false, release: a.release === true });
      if (r.kind === 'release') return { doc: doc(r.doc), text: `released port ${r.doc.released.port}` };
      return { doc: doc(r.doc), text: r.kind === 'reserve' ? `${r.doc.port} reserved for ${r.doc.name}` : String(r.doc.port) };
    },
  });
  tool({
    name: 'ports',
    description: 'Every reservation and lease beside every listening socket on this host, with conflicts marked. Use this instead of ss, netstat or lsof -i.',
    input: {},
    output: ['ports'],
    annotations: { readOnlyHint: true },
    work: (_a, s) => {
      const r = listPorts(s);
      return { doc: doc(r), text: `${r.claims.length} reservations and leases, ${r.listeners.length} listening sockets, ${r.conflicts} conflicts` };
    },
  });
  tool({
    name: 'who',
    description: 'Who listens on a port, or holds a file open or locked (pid, command, cwd, user, start time), and whether berth knows it. Use this instead of lsof or fuser, and before stopping anything.',
    input: { target: z.string().describe('a port number, or a file path') },
    output: ['who-port', 'who-path'],
    annotations: { readOnlyHint: true },
    work: (a, s) => {
      const r = who(s, a.target);
      if ('port' in r) {
        const pids = r.listeners.flatMap((l) => l.processes.map((p) => `pid ${p.pid}: ${p.command}`));
        return { doc: doc(r), text: pids.length ? pids.join('\n') : `nothing listens on ${r.port}` };
      }
      return { doc: doc(r), text: r.holders.length ? r.holders.map((h) => `pid ${h.process.pid}: ${h.process.command}${h.locks.length ? ` (${h.locks.map((l) => l.description).join('; ')})` : ''}`).join('\n') : `nobody holds ${r.path}` };
    },
  });
  tool({
    name: 'free',
    description: 'Stop whatever holds a port or file, safely: identity-checked, graceful, recorded. A berth service is stopped as a service. Refuses a service of another live session unless force. Use this instead of pkill, killall, fuser -k or kill $(lsof ...).',
    input: { target: z.string().describe('a port number, or a file path'), force: z.boolean().optional().describe("also stop another live session's service"), grace_seconds: secondsNumber(0, MAX_DURATION_MS).optional().describe('seconds to wait after TERM before KILL (default 5)') },
    output: ['free'],
    annotations: { destructiveHint: true, idempotentHint: true },
    work: async (a, s) => {
      const r = await freeTarget(s, parseFreeTarget(a.target), a.force === true, secondsToMs(a.grace_seconds, 5));
      return { doc: doc(r), text: r.stopped.length ? r.stopped.map((x) => `stopped ${x.service ? `service ${x.service}` : `pid ${x.pid}`} (${x.command})`).join('\n') : `nothing holds ${r.target}` };
    },
  });
  tool({
    name: 'locks',
    description: "berth's named locks and the host's file locks, with their holders. Use this instead of lslocks or /proc/locks.",
    input: {},
    output: ['locks'],
    annotations: { readOnlyHint: true },
    work: (_a, s) => {
      const r = listLocks(s);
      return { doc: doc(r), text: `${r.named.length} named locks, ${r.files.length} file locks` };
    },
  });
  tool({
    name: 'lock',
    description:
      'Who holds berth\'s named locks (or one of them): the process running a command under `berth lock NAME -- CMD`, since when, for which session. Taking a lock runs a command while holding it, which only the CLI can do: run `berth lock NAME -- CMD` in a shell to make sure one job (a migration, a build) runs once at a time.',
    input: { name: z.string().optional().describe('only this lock') },
    output: ['lock-holders'],
    annotations: { readOnlyHint: true },
    work: (a, s) => {
      const r = listNamedLocks(s, a.name);
      return { doc: doc(r), text: r.named.length ? r.named.map((l) => `${l.name}: pid ${l.pid} (${l.command})`).join('\n') : a.name !== undefined ? `lock "${a.name}" is not held` : 'no named locks are held' };
    },
  });
  tool({
    name: 'slots',
    description:
      'Who holds the slots of berth\'s semaphores (`berth lock NAME --slots N -- CMD`), and the shared rate limits (tokens left, takers waiting). Use this to see why a job waits for a GPU or an API. Holding a slot runs a command while holding it, which only the CLI can do: run `berth lock NAME --slots N --wait 10m -- CMD` in a shell.',
    input: { name: z.string().optional().describe('only this semaphore or rate limit') },
    output: ['slots'],
    annotations: { readOnlyHint: true },
    work: (a, s) => {
      const r = listSlots(s, a.name);
      const lines = [...r.slots.map((l) => `${l.name}#${l.slot}: pid ${l.pid} (${l.command})`), ...r.buckets.map((b) => `${b.name}: ${b.limit}, ${b.tokensLeft} ${b.tokensLeft === 1 ? 'token' : 'tokens'} left, ${b.waiting} waiting`)];
      return { doc: doc(r), text: lines.length ? lines.join('\n') : 'no slots are held and no rate limits exist' };
    },
  });
  tool({
    name: 'rate_take',
    description:
      'Take one token of a rate limit shared by every agent session on this machine (one API key, one quota), waiting until it is due; then make your one request. Use this before each call to a rate-limited API instead of sleeping and retrying. The latest limit given for a name replaces the old one.',
    input: {
      name: z.string().describe('the rate limit name, e.g. openai; 1-64 of A-Z a-z 0-9 . _ -'),
      limit: z.string().describe('the rate: 10/s, 60/min, 1000/h'),
      burst: z.number().int().min(1).optional().describe('how many tokens can be taken at once after a quiet spell (default 1)'),
      timeout_seconds: z.number().min(0).optional().describe('fail with rate_timeout (taking nothing) if the token is due later than this; default: wait'),
    },
    output: ['rate-take'],
    annotations: { destructiveHint: false, idempotentHint: false },
    work: async (a, s) => {
      const r = await takeRateToken(s, { name: a.name, limit: a.limit, ...(a.burst !== undefined ? { burst: a.burst } : {}), ...(a.timeout_seconds !== undefined ? { timeout: `${secondsToMs(a.timeout_seconds, 0)}ms` } : {}) });
      return { doc: doc(r), text: `took a token of "${r.name}" (${r.limit}) after waiting ${r.waitedMs} ms; ${r.tokensLeft} left` };
    },
  });
  tool({
    name: 'gc',
    description:
      'Stop ephemeral services whose owner session is gone; drop lapsed leases, dead lock records and stale temp dirs. With orphans: true, instead stop the processes berth did not start that an agent session abandoned (see the orphans tool; dry_run first). Use this instead of hunting leftover processes by hand.',
    input: {
      dry_run: z.boolean().optional(),
      orphans: z.boolean().optional().describe('stop the agent-abandoned orphans instead (identity-checked, recorded)'),
      pids: z
        .array(z.union([wholeNumber(1, MAX_PID).positive(), z.string()]))
        .optional()
        .describe('with orphans: only these, each a pid or "PID:START" as the orphans tool prints it (then only if it still has that start time)'),
    },
    output: ['gc'],
    annotations: { destructiveHint: true, idempotentHint: true },
    work: async (a, s) => {
      if (a.pids !== undefined && a.orphans !== true) refusePidsWithoutOrphans('pids');
      if (a.orphans === true) {
        const r = await collectOrphanGarbage(s, a.dry_run === true, a.pids?.map((p) => parseOrphanTarget(String(p))));
        const { found, stopped, skipped } = r.orphans!;
        const done = r.dryRun ? found.map((o) => `would stop pid ${o.pid} (${o.command}): ${o.reasons.join('; ')}`) : stopped.map((x) => `${x.outcome} pid ${x.pid} (${x.command})${x.why ? `: ${x.why}` : ''}`);
        const text = [...skipped.map((x) => `pid ${x.pid}: ${x.why}`), ...done];
        return { doc: doc(r), text: text.join('\n') || 'no orphans abandoned by an agent session' };
      }
      const r = await collectGarbage(s, a.dry_run === true);
      return { doc: doc(r), text: r.actions.length ? r.actions.map((x) => `${r.dryRun ? 'would ' : ''}${x.kind} ${x.subject}: ${x.detail}`).join('\n') : 'nothing to clean up' };
    },
  });
  tool({
    name: 'orphans',
    description:
      "Processes berth did not start that hold a port or a file lock and look abandoned (re-parented, left by an agent session that is gone, or by a closed terminal): pid, command, cwd and git branch, age, memory, what they hold, why, and the safe command (berth free, or berth adopt to keep one). Use this when a port is taken by a leftover server, instead of ps | grep and kill. Never stops anything: gc with orphans: true does, for the agent-abandoned ones.",
    input: {},
    output: ['orphans'],
    annotations: { readOnlyHint: true },
    work: (_a, s) => {
      const r = listOrphans(s);
      return { doc: doc(r), text: r.orphans.map((o) => `pid ${o.pid} ${o.kind} ${[...o.ports.map((p) => `:${p.port}`), ...o.files].join(', ')} ${o.command} (${o.fix})`).join('\n') || 'no orphans' };
    },
  });
  tool({
    name: 'doctor',
    description: 'The collision map: ports held by strangers, crash loops and their cause, held database files, stale records; each with the fix. Use this first when something "address already in use" or "database is locked" happens.',
    input: { dir },
    output: ['doctor'],
    annotations: { readOnlyHint: true },
    work: async (a, s) => {
      const r = await runDoctor(s, resolve(a.dir ?? '.'));
      return { doc: doc(r), text: r.findings.length ? r.findings.map((f) => `${f.severity}: ${f.message}${f.fix ? ` (fix: ${f.fix})` : ''}`).join('\n') : 'all clear' };
    },
  });
  tool({
    name: 'events',
    description: 'The audit log: who started, stopped, evicted, leased or locked what, and for which session (the newest 200 unless limit says otherwise). Use this to find out what happened to a process that vanished.',
    input: { since: z.string().optional().describe('only events newer than this, e.g. 1h'), limit: wholeNumber(1, MAX_EVENTS).optional().describe('at most this many, the newest (default 200)') },
    output: ['events'],
    annotations: { readOnlyHint: true },
    work: (a, s) => {
      const r = readEvents(s, { ...(a.since !== undefined ? { since: a.since } : {}), ...(a.limit !== undefined ? { limit: a.limit } : {}) });
      return { doc: doc(r), text: r.events.map((e) => `${e.at} ${e.verb} ${e.subject} ${e.outcome}`).join('\n') || 'no events' };
    },
  });
  tool({
    name: 'daemon_status',
    description: "Whether berth's daemon runs (pid, version, uptime, services, memory). It starts on demand; services outlive it. Use this instead of looking for berthd with ps.",
    input: {},
    output: ['daemon-status'],
    annotations: { readOnlyHint: true },
    work: async (_a, s) => {
      const r = await daemonStatus(s);
      return { doc: doc(r), text: r.running ? `berthd ${r.version} running (pid ${r.pid}), ${r.services} services` : `berthd is not running for ${r.home} (it starts on demand)` };
    },
  });
  tool({
    name: 'schema',
    description: 'The JSON Schema of berth.yaml. Use this before writing or editing a berth.yaml, instead of guessing its keys.',
    input: {},
    output: ['schema'],
    annotations: { readOnlyHint: true },
    work: () => ({ doc: berthYamlSchema(), text: JSON.stringify(berthYamlSchema()) }),
  });
}
