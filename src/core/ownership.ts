// The ownership rule, in one place: may this session act on a service another session owns?
// Before it, `stop`, `restart`, `rm` and a replacing `run`/`up` from any session silently took
// another agent's live service away (restart even moved it to the caller), while `free` on the
// same service refused: each verb had its own idea. Every acting verb now asks this function
// (decision 0014): the same session, or one that is gone, may; another live session of the same
// user may only with force, and the override is put on the record; another user's, never.
import { BerthError, EXIT } from './errors.ts';
import { isOwnerGone, type Owner } from './owner.ts';

/** The verbs that act on a service, as the refusal and the override event name them. */
export type OwnedAction = 'stop' | 'restart' | 'rm' | 'replace' | 'free' | 'take';

export type OwnershipVerdict =
  /** forcedOver: the live owner that force overrode (null when no override was needed) */
  | { allowed: true; forcedOver: Owner | null }
  | { allowed: false; reason: 'other_session' | 'other_user'; owner: Owner };

/**
 * The rule of DESIGN.md ("Ownership rule"). A BERTH_SESSION owner has no process, so it is
 * never gone: only its own session (or force) acts on its services.
 */
export function checkOwnership(owner: Owner | null, acting: Owner, opts: { force?: boolean }, isGone: (o: Owner) => boolean = isOwnerGone): OwnershipVerdict {
  if (owner === null) return { allowed: true, forcedOver: null };
  if (owner.user !== acting.user) return { allowed: false, reason: 'other_user', owner };
  if (owner.session === acting.session || isGone(owner)) return { allowed: true, forcedOver: null };
  if (opts.force === true) return { allowed: true, forcedOver: owner };
  return { allowed: false, reason: 'other_session', owner };
}

/** The service acted on, as the refusal describes it. */
export interface OwnedService {
  name: string;
  owner: Owner | null;
  /** when its running instance started (ms since the epoch), if it runs */
  startedAt: number | null;
}

/** How the refusal is worded: the verb and the command that would do it with --force. */
export interface OwnedRequest {
  action: OwnedAction;
  /** the command that does it anyway, e.g. "berth stop web --force" */
  command: string;
}

/** Another session's service, which this one may not touch (without --force, or ever). */
export class OwnedElsewhereError extends BerthError {
  constructor(service: OwnedService, reason: 'other_session' | 'other_user', request: OwnedRequest, now: number) {
    const owner = service.owner!;
    const ran = service.startedAt !== null ? `, running for ${formatAge(now - service.startedAt)}` : '';
    const whose = reason === 'other_user' ? `user ${owner.user}` : `session ${owner.session}${owner.agent ? ` (agent ${owner.agent})` : ''}, which is still alive`;
    super('owned_elsewhere', `will not ${request.action} "${service.name}": it belongs to ${whose}${ran}`, {
      hint:
        reason === 'other_user'
          ? `berth never acts on another user's service; ask ${owner.user}`
          : `ask its owner, or if you are sure: ${request.command} (the override is recorded)`,
      exitCode: EXIT.conflict,
      details: {
        service: service.name,
        action: request.action,
        reason,
        owner: owner.session,
        agent: owner.agent ?? null,
        user: owner.user,
        uptimeMs: service.startedAt !== null ? Math.max(0, now - service.startedAt) : null,
      },
    });
  }
}

/** Checks the rule for a request; returns the owner force overrode (or null), else throws OwnedElsewhereError. */
export function assertOwnership(service: OwnedService, acting: Owner, opts: { force?: boolean }, request: OwnedRequest, now = Date.now(), isGone: (o: Owner) => boolean = isOwnerGone): Owner | null {
  const verdict = checkOwnership(service.owner, acting, opts, isGone);
  if (!verdict.allowed) throw new OwnedElsewhereError(service, verdict.reason, request, now);
  return verdict.forcedOver;
}

/** The details of the `override` event: who overrode whom, doing what. */
export function overrideDetails(action: OwnedAction, forcedOver: Owner, acting: Owner): Record<string, unknown> {
  return { action, forced_over: forcedOver.session, forced_over_agent: forcedOver.agent ?? null, by: acting.session };
}

/** "42s", "17m", "5h": enough to tell a server started a minute ago from one of yesterday. */
function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
}
