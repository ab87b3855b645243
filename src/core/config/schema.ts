// The berth.yaml schema. `berth schema` prints it as JSON Schema for editors.
import { z } from 'zod';
import { MAX_SLOTS } from '../locks/slots.ts';

const PORT_MESSAGE = 'port must be a number from 1 to 65535, or "auto"';
const name = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a name is 1 to 64 of A-Z a-z 0-9 . _ -');

export const serviceSchema = z.strictObject({
  run: z.union([z.string().min(1, 'the command is empty'), z.array(z.string()).min(1, 'the command is empty')]).describe('the command: a command line, or an argv list'),
  port: z.union([z.literal('auto'), z.number().int(PORT_MESSAGE).min(1, PORT_MESSAGE).max(65535, PORT_MESSAGE)], { error: PORT_MESSAGE }).optional().describe('a port to reserve, or auto to lease one; $PORT is set either way'),
  health: z.string().regex(/^(https?:\/\/|tcp:|cmd:|notify$)/, 'health is http://…, tcp:PORT, cmd:COMMAND or notify').optional().describe('readiness: an HTTP URL, tcp:PORT, cmd:COMMAND, or notify (the service sends READY=1 to $NOTIFY_SOCKET, or runs berth beat --ready)'),
  watchdog: z.string().optional().describe('e.g. 30s: no WATCHDOG=1 (sd_notify, berth beat) within it and the service is hung: stopped and restarted by its policy'),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), z.union([z.string(), z.number(), z.boolean()])).optional(),
  env_file: z.string().optional().describe('a file of KEY=VALUE lines, relative to berth.yaml'),
  cwd: z.string().optional().describe('working directory, relative to berth.yaml (default: its directory)'),
  restart: z.enum(['always', 'on-failure', 'never']).optional(),
  max_restarts: z.number().int().min(0).max(1_000_000).optional(),
  on_conflict: z.enum(['refuse', 'evict', 'wait']).optional().describe('what to do when a stranger holds the port or a declared lock'),
  locks: z
    .array(
      z.union([
        z.string().min(1),
        z.strictObject({
          path: z.string().min(1),
          mode: z.enum(['writer', 'exclusive']).optional().describe('writer (default): only a writer is in the way; exclusive (DuckDB): any holder, a reader too'),
        }),
      ]),
    )
    .optional()
    .describe('files this service must be the only writer of (a database), relative to berth.yaml: a path, or {path, mode: exclusive}'),
  slots: z
    .record(name, z.number().int('a number of slots is a whole number').min(1, 'a group has at least 1 slot').max(MAX_SLOTS, `a group has at most ${MAX_SLOTS} slots`))
    .optional()
    .describe('semaphores it needs, e.g. {gpu: 1}: group name → how many slots the group has (as berth lock NAME --slots N); the service starts only once it holds one slot of each, and holds them until it exits'),
  depends_on: z.array(name).optional(),
  purpose: z.string().optional(),
  keep: z.boolean().optional().describe('keep it running after the session that started it ends (default true); false: berth stops it then'),
  ephemeral: z.boolean().optional().describe('the old name of keep: false (ephemeral: true stops it when its session ends)'),
  port_from_listener: z.boolean().optional().describe('if it listens on another port than $PORT, take that port as its port'),
});

export const configSchema = z.strictObject({
  name: name.optional().describe("the project's name (default: this directory's name); services are project/service"),
  services: z.record(name, serviceSchema).refine((s) => Object.keys(s).length > 0, 'declare at least one service'),
});

export type ServiceConfig = z.infer<typeof serviceSchema>;
export type ConfigFile = z.infer<typeof configSchema>;

export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema);
}
