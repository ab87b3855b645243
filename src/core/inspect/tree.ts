// Process trees and groups, from one pass over the process table (the inspection backend's).
import type { ProcStat } from './backend.ts';
import { inspect } from './select.ts';

export interface ProcessTable {
  stats: Map<number, ProcStat>;
}

export function readProcessTable(): ProcessTable {
  return { stats: inspect().readAllStats() };
}

/** Every descendant of pid (children, grandchildren, …), not including pid itself. */
export function descendantsOf(pid: number, table: ProcessTable = readProcessTable()): number[] {
  const children = new Map<number, number[]>();
  for (const stat of table.stats.values()) {
    const list = children.get(stat.ppid);
    if (list) list.push(stat.pid);
    else children.set(stat.ppid, [stat.pid]);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** The chain of ancestors of pid, nearest first, ending at pid 1. */
export function ancestorsOf(pid: number): number[] {
  const out: number[] = [];
  const backend = inspect();
  let current = backend.readStat(pid)?.ppid ?? 0;
  while (current > 0 && !out.includes(current)) {
    out.push(current);
    current = backend.readStat(current)?.ppid ?? 0;
  }
  return out;
}
