// Which inspection backend this berth process uses, chosen once: BERTH_INSPECT=proc|portable
// forces one; otherwise proc on Linux with /proc mounted (fast, no process spawned), portable
// anywhere else (lsof and ps). Every core question about processes, sockets and files goes
// through inspect(); nothing else in the core reads /proc (docs/decisions/0027-inspection-backends.md).
import { platform } from 'node:process';
import { UsageError } from '../errors.ts';
import { phase, profiling } from '../profile.ts';
import { type BackendName, CLOCK_TICKS_PER_SECOND, type InspectBackend } from './backend.ts';
import { createPortableBackend } from './portable/backend.ts';
import { createProcBackend, procMounted } from './proc/backend.ts';
import { CLOSE_STRAY_FDS } from './proc/stray-fds.ts';

export const BACKEND_NAMES: readonly BackendName[] = ['proc', 'portable'];

export { CLOCK_TICKS_PER_SECOND };

/** BERTH_INSPECT's value, or a UsageError naming the values it may take. */
export function requestedBackend(env: NodeJS.ProcessEnv = process.env): BackendName | undefined {
  const value = env.BERTH_INSPECT;
  if (value === undefined || value === '') return undefined;
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new UsageError(`BERTH_INSPECT=${value} is not an inspection backend`, `set BERTH_INSPECT to ${BACKEND_NAMES.join(' or ')}, or unset it to let berth choose`, 'invalid_inspect_backend');
}

/** The backend this process would choose: the forced one, else proc where Linux's /proc is mounted. */
export function chooseBackend(env: NodeJS.ProcessEnv = process.env): BackendName {
  return requestedBackend(env) ?? (platform === 'linux' && procMounted() ? 'proc' : 'portable');
}

let chosenName: BackendName | undefined;
let chosen: InspectBackend | undefined;

/** The name of this process's backend, chosen once (without making the backend). */
export function backendName(): BackendName {
  chosenName ??= chooseBackend();
  return chosenName;
}

/** The inspection backend of this process (made on first use, the same one after). */
export function inspect(): InspectBackend {
  if (chosen === undefined) {
    const made = backendName() === 'proc' ? createProcBackend() : createPortableBackend();
    chosen = profiling() ? timedBackend(made) : made;
  }
  return chosen;
}

/** With BERTH_PROFILE=1, every question to the OS is a phase named after it ("proc: readSockets"). */
function timedBackend(backend: InspectBackend): InspectBackend {
  const timed = { ...backend };
  for (const [key, value] of Object.entries(backend)) {
    if (typeof value === 'function') (timed as Record<string, unknown>)[key] = (...args: unknown[]) => phase(`${backend.name}: ${key}`, () => (value as (...a: unknown[]) => unknown).apply(backend, args));
  }
  return timed;
}

/** A start time in ticks since boot, as the wall-clock time in ms since the epoch. */
export function ticksToEpochMs(startTicks: number): number {
  return inspect().bootTimeMs() + Math.round((startTicks * 1000) / CLOCK_TICKS_PER_SECOND);
}

/** One variable of a process's initial environment (our own user's processes only). */
export function readEnvVar(pid: number, name: string): string | undefined {
  const env = inspect().readEnviron(pid);
  return env !== undefined && Object.hasOwn(env, name) ? env[name] : undefined;
}

/** The real uid of a process, or undefined when it cannot be read. */
export function readUid(pid: number): number | undefined {
  return inspect().readUids(pid)?.[0];
}

/**
 * CommonJS text (it expects `fs` in scope) that closes the descriptors this process inherited
 * without close-on-exec, or '' where the backend cannot tell a descriptor's flags (portable:
 * Node has no fcntl; on macOS libuv spawns children with posix_spawn).
 */
export function strayFdCloser(): string {
  return backendName() === 'proc' ? CLOSE_STRAY_FDS : '';
}
