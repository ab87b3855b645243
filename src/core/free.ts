// `berth free PORT|PATH`: stop what holds a port or a file, safely and on the record. A holder
// that is a berth service is stopped as a service (so it is not restarted behind your back);
// any other process is evicted by identity (TERM, grace, KILL) with its descendants, never its
// process group. A socket whose holder berth cannot see (another user's, to a non-root berth),
// berth's own daemon and the processes using its registry are refused, never skipped silently.
import { BerthError, EXIT } from './errors.ts';
import { findFileHolders } from './inspect/holders.ts';
import { findListeners } from './inspect/listeners.ts';
import type { ProcessInfo } from './inspect/process.ts';
import { type Caller, detectOwner, isOwnerGone, type Owner } from './owner.ts';
import { recordEvent } from './registry/events.ts';
import type { Registry } from './registry/registry.ts';
import { refusalFor, signalGuard } from './protect.ts';
import { hiddenHolders } from './supervisor/conflicts.ts';
import { type Guard, holderTree, stopHolder } from './supervisor/process-tree.ts';
import { liveServiceTrees, serviceOf, type ServiceTree } from './supervisor/trees.ts';

export type FreeTarget = { kind: 'port'; port: number } | { kind: 'path'; path: string };

export interface FreeStep {
  process: ProcessInfo;
  owner: Owner | null;
  /** the berth service it belongs to: stopped through the supervisor */
  service: string | null;
}

export class FreeRefusedError extends BerthError {
  constructor(target: string, message: string, hint: string, details: Record<string, unknown>) {
    super('free_refused', `will not free ${target}: ${message}`, { hint, exitCode: EXIT.conflict, details });
  }
}

/** Everything berth was to stop is stopped, yet the target is held again (a holder that re-forks, say). */
export class StillHeldError extends BerthError {
  constructor(target: string, holders: ProcessInfo[]) {
    const h = holders[0];
    super('still_held', `${target} is still held${h ? ` by pid ${h.pid} (${h.command})` : ''} after berth stopped its holders`, {
      hint: `it came back under a new pid; see: berth who ${target.replace(/^:/, '')}`,
      exitCode: EXIT.conflict,
      details: { target, holders: holders.map((p) => ({ pid: p.pid, command: p.command, user: p.user })) },
    });
  }
}

export function targetLabel(target: FreeTarget): string {
  return target.kind === 'port' ? `:${target.port}` : target.path;
}

/** The processes holding the target: listeners on the port; lock holders of the file (else those with it open). */
export function holdersOf(target: FreeTarget): ProcessInfo[] {
  if (target.kind === 'port') {
    const listeners = findListeners({ port: target.port }).listeners;
    const hidden = hiddenHolders(listeners)[0];
    if (hidden) {
      throw new FreeRefusedError(
        `:${target.port}`,
        `it is held by a process of user ${hidden.user} (uid ${hidden.uid}) that berth cannot see`,
        `berth never signals another user's process; ask ${hidden.user}, or run berth as that user (berth who ${target.port})`,
        { uid: hidden.uid, user: hidden.user },
      );
    }
    return [...new Map(listeners.flatMap((l) => l.processes).map((p) => [p.pid, p])).values()];
  }
  const report = findFileHolders(target.path);
  const files = [report, ...report.companions];
  const lockers = files.flatMap((f) => f.holders.filter((h) => h.locks.some((l) => !l.waiting)));
  const chosen = lockers.length > 0 ? lockers : files.flatMap((f) => f.holders);
  return [...new Map(chosen.map((h) => [h.process.pid, h.process])).values()];
}

/**
 * What freeing the target would do, or FreeRefusedError: a service of another live session
 * needs --force; another user's process is never touched.
 */
export function planFree(target: FreeTarget, registry: Registry | undefined, me: Owner, force: boolean, home?: string): FreeStep[] {
  const label = targetLabel(target);
  const trees = liveServiceTrees(registry);
  const myUid = process.getuid?.() ?? -1;
  const steps: FreeStep[] = [];
  for (const p of holdersOf(target)) {
    const svc = serviceOf(trees, p.pid);
    if (svc) {
      const owner = svc.record.owner;
      if (owner && owner.session !== me.session && !isOwnerGone(owner) && !force) {
        throw new FreeRefusedError(label, `it is berth service "${svc.record.spec.name}" of session ${owner.session}, which is still alive`, `ask its owner, or if you are sure: berth free ${label.replace(/^:/, '')} --force`, {
          service: svc.record.spec.name,
          owner: owner.session,
          pid: p.pid,
        });
      }
      if (!steps.some((s) => s.service === svc.record.spec.name)) steps.push({ process: p, owner, service: svc.record.spec.name });
      continue;
    }
    if (p.uid !== myUid) {
      throw new FreeRefusedError(label, `pid ${p.pid} (${p.command}) belongs to user ${p.user}`, 'berth never signals another user\'s process; ask them, or run berth as that user', { pid: p.pid, user: p.user });
    }
    const refusal = refusalFor(p.pid, { home });
    if (refusal) {
      const hint = refusal.reason === 'daemon'
        ? 'stop the daemon with: berth daemon stop'
        : refusal.reason === 'registry'
          ? `if it is not berth, check it (berth who ${label.replace(/^:/, '')}) and stop it yourself by its pid`
          : 'berth never signals this process';
      throw new FreeRefusedError(label, `pid ${p.pid} (${p.command}): ${refusal.why}`, hint, { pid: p.pid, reason: refusal.reason });
    }
    // Its descendants are stopped with it, but not berth's daemon (under a holder that is a
    // subreaper, or that started berth mcp): stopping the holder would then take berth down.
    const below = holderTree(p.identity, undefined, freeGuard(home, trees)).spared.find((s) => isBerthItself(refusalFor(s.pid, { home })?.reason));
    if (below) {
      throw new FreeRefusedError(label, `pid ${p.pid} (${p.command}) is an ancestor of berth (pid ${below.pid}: ${below.reason})`, 'berth will not stop its own ancestors; stop it yourself if you mean to', {
        pid: p.pid,
        reason: 'ancestor_of_berth',
      });
    }
    steps.push({ process: p, owner: detectOwner(p.pid), service: null });
  }
  return steps;
}

function isBerthItself(reason: string | undefined): boolean {
  return reason === 'daemon' || reason === 'registry';
}

/**
 * What free never signals: what the guard protects (signalGuard), and processes of berth
 * services, which are stopped as services (through the ownership rule and the supervisor) or not at all.
 */
function freeGuard(home: string | undefined, trees: ServiceTree[]): Guard {
  const base = signalGuard({ home });
  return (pid) => {
    const svc = serviceOf(trees, pid);
    return svc ? `it is part of berth service "${svc.record.spec.name}"` : base(pid);
  };
}

/** Evicts one non-service holder, by identity, and records it. */
export async function evictHolder(step: FreeStep, target: FreeTarget, registry: Registry, caller: Caller, graceMs: number, home?: string): Promise<{ forced: boolean; pids: number[] }> {
  const outcome = await stopHolder(step.process.identity, graceMs, freeGuard(home, liveServiceTrees(registry)));
  recordEvent(registry, caller, {
    verb: 'free',
    subject: targetLabel(target),
    outcome: 'ok',
    details: { pid: step.process.pid, command: step.process.command, cwd: step.process.cwd, user: step.process.user, owner: step.owner?.session ?? null, forced: outcome.killed, pids: outcome.pids,
      ...(outcome.spared.length > 0 ? { spared: outcome.spared } : {}) },
  });
  return { forced: outcome.killed, pids: outcome.pids };
}
