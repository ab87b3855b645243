// What every adapter (the CLI, the MCP server) needs to act for someone: where state lives,
// who is asking, the registry, and the supervisor through the daemon.
import { resolveHome } from '../core/home.ts';
import { phase, phaseAsync } from '../core/profile.ts';
import { resolveSettings, type Settings } from '../core/settings.ts';
import { ancestorsOf } from '../core/inspect/tree.ts';
import { type Caller, detectOwner } from '../core/owner.ts';
import { Registry } from '../core/registry/registry.ts';
import type { Requester } from '../core/supervisor/api.ts';
import type { DaemonClient } from '../client/client.ts';

export class Session {
  readonly home: string;
  /** who acts, as the audit log names it: "cli:berth run (pid 1234)", "mcp:berth (pid 99)" */
  readonly actor: string;
  private opened: Registry | undefined;
  private callerCache: Caller | undefined;
  private settingsCache: Settings | undefined;
  private readonly env: NodeJS.ProcessEnv | undefined;

  constructor(opts: { actor: string; env?: NodeJS.ProcessEnv }) {
    this.actor = opts.actor;
    this.env = opts.env;
    this.home = resolveHome(opts.env);
  }

  /**
   * The settings of this process, resolved once (on first use: a bad BERTH_PORT_RANGE is an
   * error of the verbs that use it, not of every verb).
   */
  get settings(): Settings {
    this.settingsCache ??= resolveSettings(this.env);
    return this.settingsCache;
  }

  /** The registry, created if needed: for verbs that change state. */
  registry(): Registry {
    this.opened ??= phase('registry open', () => Registry.open(this.home));
    return this.opened;
  }

  /** The registry if one exists: read-only questions must not create state. */
  existingRegistry(): Registry | undefined {
    this.opened ??= phase('registry open', () => Registry.openIfExists(this.home));
    return this.opened;
  }

  /**
   * The supervisor, through the daemon (started on first need). Loaded on demand: verbs that
   * never talk to the daemon should not load it (it speaks HTTP over node:net, decision 0033).
   */
  async client(): Promise<DaemonClient> {
    const { DaemonClient } = await phaseAsync('load daemon client', () => import('../client/client.ts'));
    return new DaemonClient(this.home);
  }

  /**
   * Who asks, for the daemon: the caller, the pids it must never evict (us and our ancestors),
   * and our port range, which a lease made for this request comes from (decision 0012).
   */
  requester(): Requester {
    return { ...this.caller, protect: [process.pid, ...ancestorsOf(process.pid)], portRange: this.settings.portRange };
  }

  get caller(): Caller {
    this.callerCache ??= { actor: this.actor, owner: detectOwner() };
    return this.callerCache;
  }

  /** A variable of the environment this session acts in. */
  envVar(name: string): string | undefined {
    return (this.env ?? process.env)[name];
  }

  /** Things to tell the user once, besides the answer (a project that got a suffix); the CLI prints them on stderr. */
  readonly notices: string[] = [];

  notice(text: string): void {
    this.notices.push(text);
  }

  close(): void {
    this.opened?.close();
    this.opened = undefined;
  }
}
