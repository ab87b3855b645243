// Running one verb and turning its outcome into an exit code and, on failure, one line (or one
// JSON document): shared by the full program (commander, program.ts) and the fast path for the
// hot verbs (fast.ts), so that a verb behaves the same whichever parsed its arguments.
import './preflight.ts';
import { errorDocument } from '../app/errors.ts';
import { assertSupportedPlatform } from '../app/platform.ts';
import { phaseAsync } from '../app/profile.ts';
import { BerthError, EXIT } from '../core/errors.ts';
import { Context } from './context.ts';
import type { FastCall } from './fast.ts';
import { printableLine } from './format/printable.ts';

export type Verb = (ctx: Context, ...args: never[]) => Promise<number | void> | number | void;

/** Loads a verb's module, runs it with `args` in a fresh Context, prints its notices; resolves to its exit code. */
export async function runVerb(verb: string, json: boolean, load: () => Promise<{ run: Verb }>, args: unknown[]): Promise<number> {
  const ctx = new Context({ verb, json });
  try {
    const { run } = await phaseAsync('load verb', load);
    const code = await phaseAsync('run verb', async () => (run as (...a: unknown[]) => Promise<number | void>)(ctx, ...args));
    return code ?? EXIT.ok;
  } finally {
    for (const text of ctx.notices) ctx.out.note(`berth: ${text}`);
    ctx.close();
  }
}

/** A call the fast path recognised (fast.ts), run with its verb's `run` as the full program would run it. */
export async function runFast(call: FastCall, run: Verb): Promise<number> {
  try {
    assertSupportedPlatform();
    return await runVerb(call.verb, call.json, async () => ({ run }), call.args);
  } catch (err) {
    return reportError(err, call.json);
  }
}

/** Whether the command line asks for JSON (before any `--`, after which the words are a command's). */
export function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** A verb's failure as an exit code, with one line on stderr or one JSON document on stdout. */
export function reportError(err: unknown, json: boolean): number {
  if (err instanceof BerthError) {
    const doc = errorDocument(err, 'cli');
    if (json) process.stdout.write(`${JSON.stringify({ error: doc }, null, 2)}\n`);
    else process.stderr.write(`berth: ${printableLine(doc.message)}${doc.hint ? `\n  hint: ${printableLine(doc.hint)}` : ''}\n`);
    return err.exitCode;
  }
  // Not a user error: a bug. Say so, with the stack, so it can be reported.
  const message = err instanceof Error ? err.message : String(err);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'internal', message, hint: 'this is a bug in berth; please report it with the command you ran' } })}\n`);
  else process.stderr.write(`berth: internal error: ${printableLine(err instanceof Error ? (err.stack ?? message) : message)}\nThis is a bug in berth; please report it with the command you ran.\n`);
  return EXIT.failure;
}
