// The rule that says whether a process berth did not start looks abandoned, as a pure function of
// facts read once from /proc and the registry (orphans.ts gathers them), so that every branch
// is tested without staging it. The rule, precisely (docs/decisions/0018-orphans.md):
//
// 1. A process of a live session is never abandoned: a live agent among its ancestors, a
//    BERTH_SESSION that berth recorded as a live agent's, or (without agent evidence) a live
//    leader of its terminal session.
// 2. agent-abandoned: started from an agent session (an agent marker in its environment, or a
//    BERTH_SESSION berth recorded as an agent's) that is gone. A marker does not say which
//    session; so a live agent of the same kind and user that started before the process and
//    cannot be told apart from its session (decision 0018: the session variables) counts as
//    possibly its own, and the process is then not listed at all. Only this kind is collected by
//    `berth gc --orphans`, and only on positive evidence that the session that started it is
//    gone: its recorded BERTH_SESSION is a dead agent's, or no live agent of its kind and user
//    that started before it is left at all (the session variables may list it, never collect it).
// 3. reparented: no agent evidence, its terminal session's leader is gone, and its parent is
//    pid 1 or a process that adopts orphans (a subreaper: systemd --user, tini, ...).
// 4. session-gone: no agent evidence, its terminal session's leader is gone, its parent lives.
// A process that leads its own session (sid = pid) and shows no agent evidence is a daemon by
// design (it called setsid), not an orphan.

export type OrphanKind = 'agent-abandoned' | 'reparented' | 'session-gone';

export interface OrphanFacts {
  pid: number;
  sid: number;
  ppid: number;
  /** the parent is pid 1 or a known subreaper */
  parentAdopts: boolean;
  /** the leader of its session (sid) is alive */
  sessionLeaderAlive: boolean;
  /** the nearest live agent among its ancestors (e.g. "claude pid 12") */
  liveAgentAncestor?: string;
  /** agent markers in its environment: VARIABLE=value and the agent each names */
  markers: Array<{ variable: string; value: string; agent: string | null }>;
  /** BERTH_SESSION in its environment, when berth recorded that session as an agent's */
  recordedAgentSession?: { session: string; alive: boolean };
  /** live agents that could be the session its markers name (see rule 2) */
  possibleSessions: string[];
  /**
   * live agents of its kind and user that started before it, whatever their environment: any one
   * may have started it, so while one lives it is not collected
   */
  possibleStarters: string[];
}

export interface Verdict {
  kind: OrphanKind;
  /** why it looks abandoned, one clause per fact */
  reasons: string[];
  /** the agent kind its markers or session name, when known */
  agent: string | null;
  /** the agent session it ran for, when berth recorded it */
  session: string | null;
  /** positive evidence that the session that started it is gone: what `berth gc --orphans` may stop */
  collectable: boolean;
}

/** The verdict for one process, or undefined when it does not look abandoned. */
export function judgeOrphan(f: OrphanFacts): Verdict | undefined {
  if (f.liveAgentAncestor !== undefined) return undefined;
  const recorded = f.recordedAgentSession;
  if (recorded?.alive) return undefined;
  const reparented = f.parentAdopts ? [`its parent is ${f.ppid === 1 ? 'init (pid 1)' : `pid ${f.ppid}, which adopts orphans`}`] : [];
  if (recorded !== undefined) {
    const agent = recorded.session.split(':')[0] ?? null;
    return { kind: 'agent-abandoned', reasons: [`it runs for agent session ${recorded.session} (BERTH_SESSION), which is gone`, ...reparented], agent, session: recorded.session, collectable: true };
  }
  if (f.markers.length > 0) {
    if (f.possibleSessions.length > 0) return undefined;
    const named = f.markers.map((m) => `${m.variable}=${m.value}`).join(', ');
    const agent = f.markers.find((m) => m.agent !== null)?.agent ?? f.markers[0]!.value;
    const reasons = [`an agent started it (${named} in its environment) and no agent session it could belong to is alive`, ...reparented];
    if (f.possibleStarters.length === 0) return { kind: 'agent-abandoned', reasons, agent, session: null, collectable: true };
    const starters = f.possibleStarters.join(', ');
    return { kind: 'agent-abandoned', reasons: [...reasons, `not collected while ${starters} lives: it started before it and may be its session`], agent, session: null, collectable: false };
  }
  if (f.sid === f.pid || f.sid <= 0 || f.sessionLeaderAlive) return undefined;
  const gone = `its terminal session's leader (pid ${f.sid}) is gone`;
  if (f.parentAdopts) return { kind: 'reparented', reasons: [...reparented, gone], agent: null, session: null, collectable: false };
  return { kind: 'session-gone', reasons: [gone], agent: null, session: null, collectable: false };
}

/** Process names (comm) of programs that adopt orphans besides pid 1: init systems and container inits. */
export const ADOPTER_NAMES = ['systemd', 'init', 'tini', 'dumb-init', 'catatonit', 'docker-init', 's6-svscan', 'runit', 'launchd'];

/**
 * Variables that stay the same through a whole login or terminal session and differ between
 * two: when a live agent and a process both have one with different values, the agent is
 * proven not to be the process's session. Nothing less than a difference proves it (a variable
 * missing on one side proves nothing), so a doubt always spares the process. Only variables the
 * login or the terminal sets, never one a command sets for itself: BERTH_HOME (set per command
 * by agents and tests) once made a live agent's server look abandoned. Even so they only decide
 * what is listed; gc needs possibleStarters empty.
 */
export const SESSION_VARIABLES = ['SSH_CONNECTION', 'XDG_SESSION_ID', 'TERM_SESSION_ID', 'ITERM_SESSION_ID', 'WINDOWID'];

/** True when the two environments prove different sessions (see SESSION_VARIABLES). */
export function provenOtherSession(agentEnv: ReadonlyMap<string, string>, processEnv: ReadonlyMap<string, string>): boolean {
  return SESSION_VARIABLES.some((v) => {
    const a = agentEnv.get(v);
    const p = processEnv.get(v);
    return a !== undefined && p !== undefined && a !== p;
  });
}
