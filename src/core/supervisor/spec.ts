// What a service is: the spec a user gives to `berth run` (or berth.yaml). Two specs are the
// same service when command, cwd, env and port agree; anything else is a new spec, which
// replaces the running one.
import { isDeepStrictEqual } from 'node:util';
import { UsageError } from '../errors.ts';
import { parseServiceName } from '../project.ts';

export type RestartPolicy = 'always' | 'on-failure' | 'never';
export type OnConflict = 'refuse' | 'evict' | 'wait';
export type PortRequest = { kind: 'none' } | { kind: 'auto' } | { kind: 'fixed'; port: number };

export interface ServiceSpec {
  /** the full name, project/service (decision 0016): the key of its record, lease, log and tmp dir */
  name: string;
  argv: string[];
  cwd: string;
  /** variables the user set for this service (--env), on top of the caller's environment */
  env: Record<string, string>;
  port: PortRequest;
  health: string | null;
  restart: RestartPolicy;
  maxRestarts: number | null;
  purpose: string | null;
  ephemeral: boolean;
  /** what to do when a stranger holds the port or a declared lock file */
  onConflict: OnConflict;
  /** files the service must hold alone (absolute paths) */
  locks: string[];
}

/** The largest max_restarts berth takes (beyond it, say nothing: never give up). */
export const MAX_RESTARTS_LIMIT = 1_000_000;

export function parseOnConflict(text: string): OnConflict {
  if (text === 'refuse' || text === 'evict' || text === 'wait') return text;
  throw new UsageError(`invalid --on-conflict ${JSON.stringify(text)}`, 'use refuse, evict or wait', 'invalid_on_conflict');
}

/** The parts of a spec that make it a different service when they change (command, cwd, env, port, health, locks). */
export function sameService(a: ServiceSpec, b: ServiceSpec): boolean {
  return isDeepStrictEqual([a.argv, a.cwd, a.env, a.port, a.health, a.locks ?? []], [b.argv, b.cwd, b.env, b.port, b.health, b.locks ?? []]);
}

export function parseRestart(text: string): RestartPolicy {
  if (text === 'always' || text === 'on-failure' || text === 'never') return text;
  throw new UsageError(`invalid restart policy ${JSON.stringify(text)}`, 'use always, on-failure or never', 'invalid_restart');
}

export function parseEnvPairs(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(pair.slice(0, eq))) {
      throw new UsageError(`invalid --env ${JSON.stringify(pair)}`, 'write it as NAME=VALUE', 'invalid_env');
    }
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

export function validateSpec(spec: ServiceSpec): ServiceSpec {
  parseServiceName(spec.name);
  if (spec.argv.length === 0 || spec.argv[0] === '') throw new UsageError('no command given', 'berth run NAME -- CMD [ARGS…]', 'empty_command');
  if (spec.health !== null) checkHealthSpec(spec.health, spec.port.kind !== 'none');
  return spec;
}

const HEALTH_HINT = 'use http://HOST:PORT/PATH, tcp:PORT or cmd:COMMAND ($PORT stands for the service\'s port)';

/**
 * Refuses a health check that could never pass or could not be run: an unknown scheme, an http
 * URL that does not parse, a tcp: target that is not [HOST:]PORT, or $PORT in a service without a port.
 */
export function checkHealthSpec(health: string, hasPort: boolean): void {
  const bad = (why: string): never => {
    throw new UsageError(`invalid health check ${JSON.stringify(health)}: ${why}`, HEALTH_HINT, 'invalid_health');
  };
  if (!/^(https?:\/\/|tcp:|cmd:)/.test(health)) bad('an unknown kind of check');
  if (health.startsWith('cmd:')) return;
  if (/\$\{?PORT\b/.test(health) && !hasPort) bad('it uses $PORT but the service has no port (add --port auto, or a number)');
  const expanded = health.replaceAll('${PORT}', '1').replaceAll('$PORT', '1');
  if (expanded.startsWith('tcp:')) {
    const target = expanded.slice(4);
    const port = target.slice(target.lastIndexOf(':') + 1);
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) bad('tcp: takes [HOST:]PORT');
    return;
  }
  if (!URL.canParse(expanded)) bad('not a URL');
}
