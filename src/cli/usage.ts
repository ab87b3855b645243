// Usage errors that commander reports in its own words, said in berth's: a command's options
// taken for berth's (`berth run web python3 -m http.server`, no `--`) get the fix, with the
// command line rewritten the way it should have been typed.
import type { Command, CommanderError } from 'commander';
import { UsageError } from '../core/errors.ts';

/** The verbs whose last argument is a command with arguments of its own. */
const COMMAND_VERBS = new Set(['run', 'lock']);

/**
 * For an unknown option after a verb that runs a command, given without `--`: the error that
 * says to put `--` before the command, showing where. Else undefined.
 */
export function missingDashes(program: Command, argv: string[], err: CommanderError): UsageError | undefined {
  if (err.code !== 'commander.unknownOption' || argv.includes('--')) return undefined;
  const verb = program.commands.find((c) => c.name() === argv[0]);
  if (!verb || !COMMAND_VERBS.has(verb.name())) return undefined;
  // Walk the verb's own arguments: options (and the values they take), then its one positional
  // (the name); the command starts at the next positional.
  const takesValue = new Set(verb.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)));
  const rest = argv.slice(1);
  let positionals = 0;
  for (let i = 0; i < rest.length; i++) {
    const token = rest[i]!;
    if (token.startsWith('-')) {
      if (takesValue.has(token)) i++;
      continue;
    }
    if (++positionals === 2) {
      // berth's own --json, typed after the command, stays berth's
      const command = rest.slice(i);
      const own = command.includes('--json') ? ['--json'] : [];
      const fixed = ['berth', argv[0]!, ...rest.slice(0, i), ...own, '--', ...command.filter((w) => w !== '--json')].join(' ');
      return new UsageError(`${err.message.replace(/^error: /, '')}: the command's own options need -- before the command`, `put -- before the command: ${fixed}`);
    }
  }
  return undefined;
}
