// How an error reaches whoever asked, per door. The document is the same everywhere (code,
// message, hint, details); only the hint's commands are written for the door: a CLI user is
// told `berth logs web`, an agent on MCP the tool to call, `logs {"name":"web"}`. Hints in the
// core are written once, with CLI commands in their canonical forms (the table below); this
// renders them, it reads no data back out of them.
import { BerthError, type ErrorDocument } from '../core/errors.ts';
import { QUOTE_PORT_ADVICE } from '../core/supervisor/errors.ts';

export type Door = 'cli' | 'mcp';

// an argument: not an option, without the punctuation that ends a clause of the hint
const ARG = String.raw`(?!-)([^\s,;()]*[^\s,;().:])`;

/** CLI command forms used in hints, and the MCP tool call each becomes. */
const MCP_FORMS: Array<[RegExp, (...m: string[]) => string]> = [
  [new RegExp(String.raw`\bberth run ${ARG} -- (.+)$`), (name, cmd) => `run ${JSON.stringify({ name, command: cmd!.split(' ') })}`],
  [new RegExp(String.raw`\bberth port --release ${ARG}`, 'g'), (name) => `port ${JSON.stringify({ name, release: true })}`],
  [/\bberth port --reserve NAME PORT\b/g, () => `port {"name":"NAME","port":PORT,"reserve":true}`],
  [/\bberth stop --mine\b/g, () => `stop {"mine":true}`],
  [/\bberth stop --session S\b/g, () => `stop {"session":"S"}`],
  [/\bberth ps --all\b/g, () => `ps {"all":true}`],
  [new RegExp(String.raw`\bberth (run|stop|rm|restart) ${ARG} --force`, 'g'), (tool, name) => `${tool} ${JSON.stringify({ name, force: true })}`],
  [/\bberth (up|down) --force\b/g, (tool) => `${tool} {"force":true}`],
  [new RegExp(String.raw`\bberth (logs|ps|stop|rm|restart) ${ARG}`, 'g'), (tool, name) => `${tool} ${JSON.stringify({ name })}`],
  [new RegExp(String.raw`\bberth free ${ARG}( --force)?`, 'g'), (target, force) => `free ${JSON.stringify(force ? { target, force: true } : { target })}`],
  [new RegExp(String.raw`\bberth who ${ARG}`, 'g'), (target) => `who ${JSON.stringify({ target })}`],
  [/\bberth (ps|doctor|gc|ports|locks|events|up|down)(?=$|[\s,;.)])/g, (tool) => `${tool} {}`],
];

/** CLI-only advice (flags, the shell's quoting) and what an MCP caller is told instead: it passes arguments, and no shell runs. */
const MCP_WORDS: Array<[string | RegExp, string]> = [
  [QUOTE_PORT_ADVICE, 'put "$PORT" in the command (berth replaces it; no shell is involved)'],
  [/\brun it with --port-from-listener\b/g, 'run it with the argument port_from_listener: true'],
  [/--port-from-listener\b/g, 'the argument port_from_listener: true'],
  [/^--(keep|ephemeral|until-session-ends) ignored:/, 'the argument $1 ignored:'],
  [/\bgive a longer --timeout\b/g, 'give a longer timeout_seconds'],
  [/\bberth run (\S+) --on-conflict evict\b/g, 'the run {"name":"$1","on_conflict":"evict"} tool call'],
];

/** The hint as the door's user acts on it: CLI commands for the CLI, MCP tool calls for MCP. */
export function renderHint(hint: string, door: Door): string {
  if (door === 'cli') return hint;
  let text = hint;
  for (const [form, call] of MCP_FORMS) text = text.replace(form, (_all, ...groups: string[]) => `the ${call(...groups)} tool call`);
  for (const [cli, mcp] of MCP_WORDS) text = typeof cli === 'string' ? text.replaceAll(cli, mcp) : text.replace(cli, mcp);
  return text;
}

const BUG_HINT = 'this is a bug in berth; please report it with what you asked';

/** The error document (`{ error: … }`'s inside) for any thrown value; anything not a BerthError is a bug. */
export function errorDocument(err: unknown, door: Door): ErrorDocument {
  if (!(err instanceof BerthError)) return { code: 'internal', message: err instanceof Error ? err.message : String(err), hint: BUG_HINT };
  const doc = err.toDocument();
  if (doc.hint !== undefined) doc.hint = renderHint(doc.hint, door);
  return doc;
}

/** The last log lines an error carries (a service that exited or was not ready during start). */
export function logTailOf(doc: ErrorDocument): string[] {
  const tail = doc.details?.logTail;
  return Array.isArray(tail) ? tail.map(String) : [];
}

/**
 * An error as text, for clients that show the model only text: the code and message, the hint,
 * and for a service that failed during start the last lines of its log.
 */
export function errorText(doc: ErrorDocument): string {
  const lines = [`error ${doc.code}: ${doc.message}`];
  if (doc.hint !== undefined) lines.push(`hint: ${doc.hint}`);
  const tail = logTailOf(doc);
  if (tail.length > 0) lines.push(`--- last ${tail.length} log lines ---`, ...tail, '---');
  return lines.join('\n');
}
