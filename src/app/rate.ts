// `rate NAME --limit 60/min [--burst N] [--timeout D] (--take | -- CMD)`: take one token of a
// token bucket shared by every process of this berth home, waiting until it is due, then exit
// (--take; also the MCP tool rate_take) or run CMD. Unlike a lock, a token is not held: it is
// spent, so an MCP tool call can take one for the agent that calls it.
import { exitStatus } from '../core/locks/run-locked.ts';
import { startGuarded } from '../core/locks/run-child.ts';
import { parseRateLimit } from '../core/rate/limit.ts';
import { takeToken, type TakeResult } from '../core/rate/bucket.ts';
import { parseDuration, parseName } from '../core/validate.ts';
import { commandArgv } from './lock.ts';
import type { Session } from './session.ts';

export interface RateInput {
  name: string;
  limit: string;
  burst?: string | number;
  /** the longest wait acceptable; none: wait as long as the queue says */
  timeout?: string;
}

/** `rate --take`: one token, after waiting for it. */
export async function takeRateToken(session: Session, input: RateInput): Promise<TakeResult> {
  const name = parseName(input.name, 'rate limit name');
  const limit = parseRateLimit(input.limit, input.burst);
  const timeoutMs = input.timeout === undefined ? undefined : parseDuration(input.timeout, 'timeout');
  return takeToken(session.registry(), session.caller, name, limit, timeoutMs === undefined ? {} : { timeoutMs });
}

export type RateRunResult = TakeResult & { pid: number; exitCode: number | null; signal: string | null; status: number };

/** `rate -- CMD`: one token, then the command; its status is the verb's. */
export async function runUnderRate(session: Session, input: RateInput & { argv: string[]; stdout: 'stdout' | 'stderr'; onTaken?: (taken: TakeResult) => void }): Promise<RateRunResult> {
  const argv = commandArgv(input.argv, 'berth rate NAME --limit 60/min -- CMD [ARGS…]');
  const taken = await takeRateToken(session, input);
  input.onTaken?.(taken);
  const child = await startGuarded(argv, { stdout: input.stdout });
  const ended = await child.exited;
  return { ...taken, pid: child.pid, ...ended, status: exitStatus(ended) };
}
