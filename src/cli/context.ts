// What every verb gets: where state lives, who is asking, and how to answer (text or JSON).
import { resolveHome } from '../core/home.ts';
import { type Caller, detectOwner } from '../core/owner.ts';
import { Registry } from '../core/registry/registry.ts';
import { ancestorsOf } from '../core/inspect/tree.ts';
import type { Requester } from '../core/supervisor/api.ts';
import type { DaemonClient } from '../client/client.ts';

export interface Output {
  /** one JSON document on stdout, pretty-printed */
  json(doc: unknown): void;
  /** a line of text on stdout */
  line(text?: string): void;
  /** a line on stderr: progress and notices that are not the answer */
  note(text: string): void;
}

export class Context {
  readonly home: string;
  readonly json: boolean;
  readonly out: Output;
  readonly verb: string;
  private opened: Registry | undefined;
  private callerCache: Caller | undefined;

  constructor(opts: { verb: string; json: boolean; env?: NodeJS.ProcessEnv; out?: Output }) {
    this.verb = opts.verb;
    this.json = opts.json;
    this.home = resolveHome(opts.env);
    this.out = opts.out ?? stdOutput;
  }

  /** The registry, created if needed: for verbs that change state. */
  registry(): Registry {
    this.opened ??= Registry.open(this.home);
    return this.opened;
  }

  /** The registry if one exists: read-only questions must not create state. */
  existingRegistry(): Registry | undefined {
    this.opened ??= Registry.openIfExists(this.home);
    return this.opened;
  }

  /**
   * The supervisor, through the daemon (started on first need). Loaded on demand: node:http
   * alone costs tens of milliseconds of start-up that read-only verbs should not pay.
   */
  async client(): Promise<DaemonClient> {
    const { DaemonClient } = await import('../client/client.ts');
    return new DaemonClient(this.home);
  }

  /** Who asks, for the daemon: the caller plus the pids it must never evict (us and our ancestors). */
  requester(): Requester {
    return { ...this.caller, protect: [process.pid, ...ancestorsOf(process.pid)] };
  }

  get caller(): Caller {
    this.callerCache ??= { actor: `cli:berth ${this.verb} (pid ${process.pid})`, owner: detectOwner() };
    return this.callerCache;
  }

  close(): void {
    this.opened?.close();
  }
}

export const stdOutput: Output = {
  json: (doc) => process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`),
  line: (text = '') => process.stdout.write(`${text}\n`),
  note: (text) => process.stderr.write(`${text}\n`),
};
