// Which processes belong to which berth service, from the registry's records.
import { isAlive } from '../identity.ts';
import { readProcessTable } from '../inspect/tree.ts';
import type { Registry } from '../registry/registry.ts';
import { instanceTree } from './process-tree.ts';
import { isLive } from './state.ts';
import { instanceOf, loadServices, type ServiceRecord } from './store.ts';

export interface ServiceTree {
  record: ServiceRecord;
  pids: Set<number>;
}

/** Every recorded service with the pids of its process tree (none when it is not running). */
export function serviceTrees(registry: Registry | undefined): ServiceTree[] {
  if (!registry) return [];
  const records = loadServices(registry);
  // one read of the process table for every service's tree
  const table = records.some((r) => r.identity !== null && isLive(r.state)) ? readProcessTable() : undefined;
  return records.map((record) => {
    const live = table !== undefined && record.identity !== null && isLive(record.state) && isAlive(record.identity);
    return { record, pids: new Set(live ? instanceTree(instanceOf(record)!, table).map((i) => i.pid) : []) };
  });
}

/** The live services and the pids of their process trees. */
export function liveServiceTrees(registry: Registry | undefined): ServiceTree[] {
  return serviceTrees(registry).filter((t) => t.pids.size > 0);
}

/** The service a pid belongs to, if any. */
export function serviceOf(trees: ServiceTree[], pid: number): ServiceTree | undefined {
  return trees.find((t) => t.pids.has(pid));
}
