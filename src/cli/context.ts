// What every verb gets: a Session (where state lives, who is asking) and how to answer.
import { Session } from '../app/session.ts';
import { printableLine } from './format/printable.ts';

export interface Output {
  /** one JSON document on stdout, pretty-printed */
  json(doc: unknown): void;
  /** a line of text on stdout */
  line(text?: string): void;
  /** a line on stderr: progress and notices that are not the answer */
  note(text: string): void;
  /** a line exactly as given: a service's own output (berth logs), as `cat` would show it */
  raw(text: string): void;
}

export class Context extends Session {
  readonly json: boolean;
  readonly out: Output;
  readonly verb: string;

  constructor(opts: { verb: string; json: boolean; env?: NodeJS.ProcessEnv; out?: Output }) {
    super({ actor: `cli:berth ${opts.verb} (pid ${process.pid})`, ...(opts.env ? { env: opts.env } : {}) });
    this.verb = opts.verb;
    this.json = opts.json;
    this.out = opts.out ?? stdOutput;
  }
}

// Lines and notes carry names, commands, paths and session ids: control characters in them are
// escaped on the way to the terminal.
export const stdOutput: Output = {
  json: (doc) => process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`),
  line: (text = '') => process.stdout.write(`${printableLine(text)}\n`),
  note: (text) => process.stderr.write(`${printableLine(text)}\n`),
  raw: (text) => process.stdout.write(`${text}\n`),
};
