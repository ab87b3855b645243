// Who is asking: the agent session (or terminal session) on whose behalf berth acts.
// Recorded on every lease, lock, service and event, so "who started this?" has an answer.
import { basename } from 'node:path';
import { type Identity, isAlive, readIdentity } from './identity.ts';
import type { ProcStat } from './inspect/backend.ts';
import { inspect, readEnvVar, readUid } from './inspect/select.ts';
import { userName } from './inspect/users.ts';

export interface Owner {
  /** a stable id for the session: BERTH_SESSION, or "<agent>:<pid>:<start>" of the agent process */
  session: string;
  source: 'env' | 'agent' | 'terminal' | 'unknown';
  /** the agent CLI, when one was found among the ancestors */
  agent?: string;
  /** the process whose life is the session's life (absent for BERTH_SESSION) */
  process?: Identity;
  user: string;
}

/** Names of agent CLIs, as their process shows them (comm or argv[0]/argv[1] basename). */
export const AGENT_NAMES = ['claude', 'codex', 'cursor-agent', 'gemini', 'aider', 'opencode', 'goose', 'amp', 'copilot', 'qwen', 'crush', 'kiro-cli'];

/**
 * What agents put in the environment of the commands they run, and the agent each names
 * (docs/decisions/0018-orphans.md lists the sources). `AI_AGENT` and `AGENT` carry the agent's own
 * name as their value; any other value than "1" there is read as an agent of unknown kind. Aider
 * sets none (its AIDER_* variables are settings), so its orphans are found by re-parenting only.
 */
export const AGENT_ENV_MARKERS: ReadonlyArray<{ variable: string; agent: string | null; value?: string }> = [
  { variable: 'CLAUDECODE', agent: 'claude', value: '1' },
  { variable: 'CLAUDE_CODE_ENTRYPOINT', agent: 'claude' },
  { variable: 'CODEX_SANDBOX', agent: 'codex' },
  { variable: 'CODEX_THREAD_ID', agent: 'codex' },
  { variable: 'CURSOR_AGENT', agent: 'cursor-agent', value: '1' },
  { variable: 'GEMINI_CLI', agent: 'gemini', value: '1' },
  { variable: 'GOOSE_TERMINAL', agent: 'goose', value: '1' },
  { variable: 'AMP_CURRENT_THREAD_ID', agent: 'amp' },
  { variable: 'OPENCODE', agent: 'opencode', value: '1' },
  { variable: 'COPILOT_AGENT', agent: 'copilot', value: '1' },
  { variable: 'AI_AGENT', agent: null },
  { variable: 'AGENT', agent: null },
];

function readStat(pid: number): ProcStat | undefined {
  return inspect().readStat(pid);
}

/** The agent CLI this process is (by its comm or argv), if it is one. */
export function agentNameOf(pid: number): string | undefined {
  const stat = readStat(pid);
  const argv = inspect().readArgv(pid) ?? [];
  const candidates = [stat?.comm ?? '', basename(argv[0] ?? '')];
  // node-based CLIs run as `node /path/to/claude …`
  if (/^(node|bun|deno|python3?)$/.test(candidates[1]!) && argv[1]) candidates.push(basename(argv[1]).replace(/\.(c?js|mjs|py)$/, ''));
  return AGENT_NAMES.find((name) => candidates.includes(name));
}

/**
 * Detects the owner of a process (by default this one): BERTH_SESSION in its environment, else
 * the nearest agent CLI among its ancestors, else its terminal session's leader.
 */
export function detectOwner(pid = process.pid, env?: NodeJS.ProcessEnv): Owner {
  const self = pid === process.pid;
  const user = userName(self ? (process.getuid?.() ?? -1) : (readUid(pid) ?? -1));
  const session = self ? (env ?? process.env).BERTH_SESSION : readEnvVar(pid, 'BERTH_SESSION');
  if (session) return { session, source: 'env', user };
  let current = readStat(pid)?.ppid ?? 0;
  const seen = new Set<number>();
  while (current > 1 && !seen.has(current)) {
    seen.add(current);
    const agent = agentNameOf(current);
    const identity = readIdentity(current);
    if (agent && identity) return { session: `${agent}:${current}:${identity.startTicks}`, source: 'agent', agent, process: identity, user };
    current = readStat(current)?.ppid ?? 0;
  }
  const sid = readStat(pid)?.sid ?? 0;
  const leader = sid > 1 && isSessionLeader(sid, readStat) ? readIdentity(sid) : undefined;
  if (leader) return { session: `session:${sid}:${leader.startTicks}`, source: 'terminal', process: leader, user };
  return { session: `user:${user}`, source: 'unknown', user };
}

/**
 * True when pid `sid` is alive and leads session `sid`. After a session's leader exits, its pid
 * may be handed to a process of another session: that process is not the leader, however alive.
 */
export function isSessionLeader(sid: number, stat: (pid: number) => ProcStat | undefined): boolean {
  const s = sid > 0 ? stat(sid) : undefined;
  return s !== undefined && s.state !== 'Z' && s.sid === sid;
}

/** An owner is gone when the process whose life is the session has ended. BERTH_SESSION owners are never known gone. */
export function isOwnerGone(owner: Owner): boolean {
  return owner.process !== undefined && !isAlive(owner.process);
}

export function parseOwner(text: string | null | undefined): Owner | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as Owner;
  } catch {
    return null;
  }
}

/** Who acts and on whose behalf: attached to every change berth records. */
export interface Caller {
  /** e.g. "cli:berth port web (pid 1234)" */
  actor: string;
  owner: Owner;
}
