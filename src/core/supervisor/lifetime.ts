// Session lifetimes (DESIGN.md "Session lifetime", docs/decisions/0017-session-lifetimes.md):
// whether a service ends with the session that started it, and which services are due to be
// reaped once sessions are gone. One rule, used by the daemon's owner watch and by `berth gc`
// alike, so the two never disagree about what may be stopped. Pure: whether an owner is gone is
// passed in (a /proc read in the daemon, a fake in the tests).
import { UsageError } from '../errors.ts';
import type { Owner } from '../owner.ts';
import type { ServiceSpec } from './spec.ts';
import { isLive } from './state.ts';
import type { ServiceRecord } from './store.ts';

/** What happens to a service when its owner session ends: `session`, it is stopped; `keep`, it runs on. */
export type Lifetime = 'session' | 'keep';

/** The stored flag is spec.ephemeral: the service ends with its owner session. */
export function lifetimeOf(spec: Pick<ServiceSpec, 'ephemeral'>): Lifetime {
  return spec.ephemeral ? 'session' : 'keep';
}

/** What a user asked of `berth run` about the lifetime (all absent: the default for the caller). */
export interface LifetimeFlags {
  keep?: boolean;
  /** the old flag, an alias of the agent default (and of untilSessionEnds from a terminal) */
  ephemeral?: boolean;
  untilSessionEnds?: boolean;
}

/**
 * Whether a service `berth run` starts for this owner ends with its session. An agent session's
 * services do unless --keep; a terminal session's only with --until-session-ends (or --ephemeral);
 * a BERTH_SESSION (or unknown) owner has no process whose end berth could see, so its services are
 * kept whatever the flags say (they are still recorded as asked, for ps and gc).
 */
export function endsWithSession(owner: Pick<Owner, 'source'>, flags: LifetimeFlags): boolean {
  const scoped = flags.ephemeral === true || flags.untilSessionEnds === true;
  if (flags.keep === true && scoped) {
    throw new UsageError('--keep contradicts --ephemeral and --until-session-ends', 'give one: --keep to keep it running after this session, --until-session-ends to stop it with the session', 'invalid_lifetime');
  }
  if (flags.keep === true) return false;
  return scoped || owner.source === 'agent';
}

/** The owner sessions whose end reaps something: session-scoped, live services whose owner has a process. */
export function watchedOwners(records: readonly ServiceRecord[]): Map<string, Owner> {
  const owners = new Map<string, Owner>();
  for (const r of records) if (isReapCandidate(r)) owners.set(r.owner!.session, r.owner!);
  return owners;
}

/** The services to stop because their owner session is gone: session-scoped, still running (or retrying), owner gone. */
export function reapableServices(records: readonly ServiceRecord[], isGone: (owner: Owner) => boolean): ServiceRecord[] {
  const gone = new Map<string, boolean>();
  // one check per distinct session, however many services it has
  const sessionGone = (owner: Owner): boolean => {
    let g = gone.get(owner.session);
    if (g === undefined) gone.set(owner.session, (g = isGone(owner)));
    return g;
  };
  return records.filter((r) => isReapCandidate(r) && sessionGone(r.owner!));
}

function isReapCandidate(r: ServiceRecord): boolean {
  return r.spec.ephemeral && (isLive(r.state) || r.state === 'backoff') && r.state !== 'stopping' && r.owner?.process !== undefined;
}

/** The detail a reaped service keeps in its record (and the reason of its stop event). */
export function reapReason(owner: Owner): string {
  return `reaped: its session ${owner.session}${owner.agent ? ` (${owner.agent})` : ''} ended`;
}
