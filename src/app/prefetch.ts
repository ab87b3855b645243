// The CLI's door to reading the TCP tables ahead for `berth who PORT`
// (src/core/inspect/proc/net-prefetch.ts): main.ts starts it at its first lines, so that the
// kernel's walk of its connection table runs on the thread pool while Node loads berth's modules.
// The one module outside select.ts that reaches into the proc backend
// (test/app/inspect-layers.test.ts): going through select.ts would load both backends first,
// the very loading the reads are meant to overlap. So the choice is made here the way select.ts
// makes it: the proc backend answers on Linux unless BERTH_INSPECT=portable (a /proc that is not
// mounted fails the open, and nothing is read ahead).
import { prefetchNetTables } from '../core/inspect/proc/net-prefetch.ts';

export function prefetchSockets(env: NodeJS.ProcessEnv = process.env): Promise<void> | undefined {
  if (process.platform !== 'linux' || env.BERTH_INSPECT === 'portable') return undefined;
  return prefetchNetTables();
}
