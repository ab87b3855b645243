// `berth orphans`: processes berth did not start that hold a port (TCP listener, bound UDP
// socket) or a file lock, and look abandoned by the session that started them (the rule is in
// orphans-rule.ts). Read-only: it never signals anything; `berth gc --orphans` (orphans-gc.ts)
// stops the agent-abandoned ones on command. The process table is read once and every fact is
// taken from that snapshot, so one listing is one consistent view.
import { type Identity, isAlive } from './identity.ts';
import type { GitInfo } from './inspect/git.ts';
import { findAllFileLocks } from './inspect/holders.ts';
import { findListeners } from './inspect/listeners.ts';
import { describeProcess, type ProcessInfo } from './inspect/process.ts';
import { readProcessTable, type ProcessTable } from './inspect/tree.ts';
import { AGENT_ENV_MARKERS, agentNameOf, isSessionLeader, parseOwner } from './owner.ts';
import { suggestName } from './orphans-name.ts';
import { readEnvironMap, readRssBytes } from './orphans-proc.ts';
import { ADOPTER_NAMES, judgeOrphan, type OrphanFacts, type OrphanKind, provenOtherSession } from './orphans-rule.ts';
import { berthProcessCheck } from './protect.ts';
import type { Registry } from './registry/registry.ts';
import { INSTANCE_ENV } from './supervisor/process-tree.ts';
import { loadServices } from './supervisor/store.ts';
import { serviceOf, serviceTrees } from './supervisor/trees.ts';
import { oneLine } from './text.ts';

export type { OrphanKind };

export interface OrphanPort {
  protocol: 'tcp' | 'udp';
  address: string;
  port: number;
}

export interface Orphan {
  pid: number;
  ppid: number;
  uid: number;
  user: string;
  /** its command line on one line (line breaks escaped: it is another program's text) */
  command: string;
  cwd: string | null;
  /** the git worktree its cwd is in and its branch, as every process description has it (inspect/git.ts) */
  git: GitInfo | null;
  startedAt: string;
  ageMs: number;
  /** resident memory; null when unreadable */
  rssBytes: number | null;
  ports: OrphanPort[];
  /** files it holds a lock on (a path, or dev:inode when no open fd names it) */
  files: string[];
  kind: OrphanKind;
  reasons: string[];
  /** the agent kind that started it, when known */
  agent: string | null;
  /** the agent session it ran for, when berth recorded it */
  session: string | null;
  /** true only for agent-abandoned processes of this user whose session is known gone: what `berth gc --orphans` stops */
  collectable: boolean;
  /** the safe way to end it: `berth gc --orphans --pid PID:START` when collectable, else berth free PORT (or PATH) */
  fix: string;
  /** the way to keep it, under a name */
  adopt: string;
  /** pid, start time and boot id as read now: gc re-checks them before every signal */
  identity: Identity;
}

export interface OrphanScope {
  registry: Registry | undefined;
  /** the berth home whose daemon and registry users are berth itself */
  home: string;
  /** the process that asks and its ancestors */
  protect: readonly number[];
  now?: number;
}

interface Holding {
  process: ProcessInfo;
  ports: OrphanPort[];
  files: string[];
}

/** Every process berth did not start that holds a port or a file lock and looks abandoned, oldest first. */
export function findOrphans(scope: OrphanScope): Orphan[] {
  return surveyOrphans(scope).orphans;
}

export interface OrphanSurvey {
  orphans: Orphan[];
  /** why each process asked about (`ask`) is not listed */
  spared: Map<number, string>;
}

/**
 * The orphans, and for each pid in `ask` that is not one, why not: not found, not an orphan
 * (a berth service, berth itself, holds nothing), or of a live session.
 */
export function surveyOrphans(scope: OrphanScope, ask: readonly number[] = []): OrphanSurvey {
  const spared = new Map<number, string>();
  const holdings = collectHoldings();
  const table = holdings.size === 0 && ask.length === 0 ? { stats: new Map() } : readProcessTable();
  for (const pid of ask) if (!holdings.has(pid)) spared.set(pid, table.stats.has(pid) ? 'not an orphan: it holds no port and no file lock' : 'not found');
  if (holdings.size === 0) return { orphans: [], spared };
  const exclude = berthsOwn(scope, table);
  const me = process.getuid?.() ?? -1;
  const now = scope.now ?? Date.now();
  const agents = liveAgents(table);
  const out: Orphan[] = [];
  const spare = (pid: number, why: string): void => {
    if (ask.includes(pid)) spared.set(pid, why);
  };
  for (const h of holdings.values()) {
    const p = h.process;
    const own = p.pid <= 1 || p.argv.length === 0 ? 'not an orphan: a kernel thread or init' : exclude(p.pid);
    if (own !== undefined) {
      spare(p.pid, own);
      continue;
    }
    const stat = table.stats.get(p.pid);
    if (stat === undefined || stat.startTicks !== p.identity.startTicks) {
      spare(p.pid, 'not found');
      continue;
    }
    const env = readEnvironMap(p.pid) ?? new Map<string, string>();
    const facts = gatherFacts(p, env, table, agents, scope.registry);
    const verdict = judgeOrphan(facts);
    if (verdict === undefined) {
      spare(p.pid, liveSessionOf(facts));
      continue;
    }
    const target = h.ports[0] !== undefined ? String(h.ports[0].port) : h.files[0]!;
    const collectable = verdict.collectable && p.uid === me;
    out.push({
      pid: p.pid,
      ppid: p.ppid,
      uid: p.uid,
      user: p.user,
      command: oneLine(p.command),
      cwd: p.cwd === null ? null : oneLine(p.cwd),
      git: p.git && { ...p.git, worktree: oneLine(p.git.worktree) },
      startedAt: p.startedAt,
      ageMs: Math.max(0, now - Date.parse(p.startedAt)),
      rssBytes: readRssBytes(p.pid),
      ports: h.ports,
      files: h.files.map(oneLine),
      ...verdict,
      collectable,
      // scoped to this one process and its start time: never the unscoped gc, which stops every agent-abandoned process of the user
      fix: collectable ? `berth gc --orphans --pid ${p.pid}:${p.identity.startTicks}` : `berth free ${oneLine(target)}`,
      adopt: `berth adopt ${suggestName({ argv: p.argv, port: h.ports[0]?.port, pid: p.pid })} --pid ${p.pid}`,
      identity: p.identity,
    });
  }
  return { orphans: out.sort((a, b) => a.identity.startTicks - b.identity.startTicks || a.pid - b.pid), spared };
}

/** Why a process that holds something is not listed: the live session rule 1 found, or it is a daemon. */
function liveSessionOf(f: OrphanFacts): string {
  if (f.liveAgentAncestor !== undefined) return `of a live session (${f.liveAgentAncestor} is its ancestor)`;
  if (f.recordedAgentSession?.alive) return `of a live session (${f.recordedAgentSession.session})`;
  if (f.possibleSessions.length > 0) return `possibly of a live session (${f.possibleSessions.join(', ')})`;
  if (f.sid === f.pid || f.sid <= 0) return 'not an orphan: a daemon (it leads its own session)';
  return `of a live session (its terminal session's leader, pid ${f.sid}, lives)`;
}

/** Listening and bound sockets, and held file locks, by the process that holds them. */
function collectHoldings(): Map<number, Holding> {
  const byPid = new Map<number, Holding>();
  const holding = (p: ProcessInfo): Holding => {
    let h = byPid.get(p.pid);
    if (h === undefined) byPid.set(p.pid, (h = { process: p, ports: [], files: [] }));
    return h;
  };
  for (const l of findListeners().listeners) {
    for (const p of l.processes) {
      const h = holding(p);
      if (!h.ports.some((x) => x.port === l.port && x.protocol === l.protocol)) h.ports.push({ protocol: l.protocol, address: l.address, port: l.port });
    }
  }
  for (const lock of findAllFileLocks()) {
    if (lock.process === null) continue;
    const h = holding(lock.process);
    const name = lock.path ?? `${lock.major}:${lock.minor}:${lock.inode}`;
    if (!h.files.includes(name)) h.files.push(name);
  }
  return byPid;
}

/**
 * What berth started or is: the processes of every recorded service's instance tree, any
 * process carrying a recorded instance's marker, berth's daemon and registry users for this
 * home, and the process that asks with its ancestors.
 */
function berthsOwn(scope: OrphanScope, table: ProcessTable): (pid: number) => string | undefined {
  const trees = serviceTrees(scope.registry);
  const markers = new Set(scope.registry ? loadServices(scope.registry).map((s) => s.instance).filter((m): m is string => m !== null) : []);
  const isBerth = berthProcessCheck(scope.home);
  const protect = new Set([process.pid, ...scope.protect]);
  return (pid) => {
    if (protect.has(pid)) return 'not an orphan: the process that asks or one of its ancestors';
    if (isBerth(pid) !== undefined) return 'not an orphan: berth itself';
    if (serviceOf(trees, pid) !== undefined) return 'not an orphan: a berth service';
    if (markers.size === 0) return undefined;
    const marker = readEnvironMap(pid)?.get(INSTANCE_ENV);
    return marker !== undefined && markers.has(marker) && table.stats.has(pid) ? 'not an orphan: a berth service' : undefined;
  };
}

interface LiveAgent {
  pid: number;
  name: string;
  uid: number;
  startTicks: number;
}

/** Every live agent CLI on the host, from the snapshot. */
function liveAgents(table: ProcessTable): LiveAgent[] {
  const out: LiveAgent[] = [];
  for (const stat of table.stats.values()) {
    if (stat.state === 'Z') continue;
    const name = agentNameOf(stat.pid);
    if (name === undefined) continue;
    const info = describeProcess(stat.pid);
    if (info !== undefined) out.push({ pid: stat.pid, name, uid: info.uid, startTicks: stat.startTicks });
  }
  return out;
}

function gatherFacts(p: ProcessInfo, env: ReadonlyMap<string, string>, table: ProcessTable, agents: LiveAgent[], registry: Registry | undefined): OrphanFacts {
  const stat = table.stats.get(p.pid)!;
  const parent = table.stats.get(stat.ppid);
  const markers = AGENT_ENV_MARKERS.flatMap((m) => {
    const value = env.get(m.variable);
    if (value === undefined || value === '' || (m.value !== undefined && value !== m.value)) return [];
    return [{ variable: m.variable, value, agent: m.agent ?? (value === '1' ? null : value) }];
  });
  const session = env.get('BERTH_SESSION');
  const recorded = session !== undefined ? recordedAgentSession(registry, session) : undefined;
  return {
    pid: p.pid,
    sid: stat.sid,
    ppid: stat.ppid,
    parentAdopts: stat.ppid === 1 || (parent !== undefined && ADOPTER_NAMES.includes(parent.comm)),
    sessionLeaderAlive: isSessionLeader(stat.sid, (pid) => table.stats.get(pid)),
    ...liveAncestor(p.pid, table, agents),
    markers,
    ...(recorded !== undefined ? { recordedAgentSession: recorded } : {}),
    ...agentCandidates(p, env, markers, agents),
  };
}

function liveAncestor(pid: number, table: ProcessTable, agents: LiveAgent[]): { liveAgentAncestor?: string } {
  const seen = new Set<number>();
  for (let current = table.stats.get(pid)?.ppid ?? 0; current > 1 && !seen.has(current); current = table.stats.get(current)?.ppid ?? 0) {
    seen.add(current);
    const agent = agents.find((a) => a.pid === current);
    if (agent) return { liveAgentAncestor: `${agent.name} pid ${agent.pid}` };
  }
  return {};
}

/**
 * The live agents that may have started the process (its kind and user, started before it), and
 * among them those that could be its session (orphans-rule.ts, rule 2).
 */
function agentCandidates(p: ProcessInfo, env: ReadonlyMap<string, string>, markers: OrphanFacts['markers'], agents: LiveAgent[]): Pick<OrphanFacts, 'possibleSessions' | 'possibleStarters'> {
  if (markers.length === 0) return { possibleSessions: [], possibleStarters: [] };
  const kinds = new Set(markers.map((m) => m.agent));
  const starters = agents.filter((a) => a.uid === p.uid && a.startTicks <= p.identity.startTicks && (kinds.has(a.name) || kinds.has(null)));
  const sessions = starters.filter((a) => {
    const agentEnv = readEnvironMap(a.pid);
    return agentEnv === undefined || !provenOtherSession(agentEnv, env);
  });
  const named = (list: LiveAgent[]): string[] => list.map((a) => `${a.name} pid ${a.pid}`);
  return { possibleSessions: named(sessions), possibleStarters: named(starters) };
}

/** The agent session BERTH_SESSION names, if berth recorded it as an agent's (on a service or an event). */
function recordedAgentSession(registry: Registry | undefined, session: string): { session: string; alive: boolean } | undefined {
  if (!registry) return undefined;
  const fromService = loadServices(registry).map((s) => s.owner).find((o) => o?.session === session && o.source === 'agent');
  const row = fromService ? undefined : registry.all<{ owner: string }>('SELECT owner FROM events WHERE instr(owner, ?) > 0 ORDER BY id DESC LIMIT 20', `"session":${JSON.stringify(session)}`);
  const owner = fromService ?? row?.map((r) => parseOwner(r.owner)).find((o) => o?.session === session && o.source === 'agent');
  if (!owner || owner.process === undefined) return undefined;
  return { session, alive: isAlive(owner.process) };
}
