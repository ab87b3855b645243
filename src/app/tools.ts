// The verbs that answer from berth itself rather than from the machine: the JSON Schema of
// berth.yaml (for editors and agents writing one) and the guard's verdict on a shell command.
import { configJsonSchema } from '../core/config/schema.ts';
import { type GuardVerdict, judgeCommand } from '../core/guard.ts';

/** `schema`: the JSON Schema of berth.yaml. */
export function berthYamlSchema(): Record<string, unknown> {
  return configJsonSchema() as Record<string, unknown>;
}

/** `guard --command CMD`: whether a shell command may run, and if not, which berth command to use. */
export function judgeShellCommand(command: string): GuardVerdict {
  return judgeCommand(command);
}
