// The fast path (fast.ts) with everything it loads, built by scripts/bundle.mjs as a bundle of its
// own (dist/bundle/hot/hot.js): `who`, `port NAME`, `ps` and `run` load this one file, not the fifty
// chunks the shared bundle splits the same code into (each chunk costs the ESM loader a resolve,
// a package-scope lookup, a read and a cache lookup: docs/benchmarks.md "The hot verbs"). What
// only some calls need (the daemon client, the berth.yaml reader) stays in chunks loaded on use.
import { collectPhases, phaseSince, profileDocument, profiling, sinceStart } from '../app/profile.ts';
import { run as port } from './commands/port.ts';
import { run as ps } from './commands/ps.ts';
import { run as runVerbModule } from './commands/run.ts';
import { run as who } from './commands/who.ts';
import type { FastCall } from './fast.ts';
import { runFast, type Verb } from './verb-run.ts';

// the verbs, imported (not loaded on demand) so that they are in this file, not chunks of their own
const VERBS: Record<FastCall['verb'], Verb> = { who, port, ps, run: runVerbModule };

/**
 * Runs the call main.ts recognised (fast.ts: plain values only, so it crosses from the shared
 * bundle intact) and resolves to its exit code; `booted` and `cached` are main.ts's times (ms
 * since the start) for the profile, `sockets` the TCP tables main.ts started reading ahead.
 */
export async function runHot(call: FastCall, booted: number, cached: number, sockets: Promise<unknown> | undefined): Promise<number> {
  collectPhases();
  phaseSince('home and compile cache', booted, cached);
  phaseSince('load fast path', cached);
  if (sockets !== undefined) {
    const waited = sinceStart();
    await sockets;
    phaseSince('wait for the TCP tables read ahead', waited);
  }
  const code = await runFast(call, VERBS[call.verb]);
  if (profiling()) process.stderr.write(`berth-profile ${JSON.stringify(profileDocument(booted))}\n`);
  return code;
}
