// The CLI's door to berth's phase timings (src/core/profile.ts, BERTH_PROFILE=1): the CLI imports
// nothing from the core but types and errors, so it comes through here.
import { collectPhases, type Span, phaseAsync, phaseSince, profileSpans, profiling, sinceStart } from '../core/profile.ts';

export { collectPhases, phaseAsync, phaseSince, profiling, sinceStart };

/**
 * The `berth-profile` document the CLI prints on stderr at the end of a profiled call: Node's
 * own start-up (until berth's first line ran), each phase, and the total so far.
 */
export function profileDocument(bootMs: number): { boot: number; total: number; spans: Span[] } {
  const round = (x: number): number => Math.round(x * 100) / 100;
  return { boot: round(bootMs), total: round(sinceStart()), spans: profileSpans().map((s) => ({ phase: s.phase, start: round(s.start), ms: round(s.ms) })) };
}
