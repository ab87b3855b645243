// Process trees and groups, from one pass over /proc/<pid>/stat.
import { listPids, readStat, type ProcStat } from './procfs.ts';

export interface ProcessTable {
  stats: Map<number, ProcStat>;
}

export function readProcessTable(): ProcessTable {
  const stats = new Map<number, ProcStat>();
  for (const pid of listPids()) {
    const stat = readStat(pid);
    if (stat !== undefined) stats.set(pid, stat);
  }
  return { stats };
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
  let current = readStat(pid)?.ppid ?? 0;
  while (current > 0 && !out.includes(current)) {
    out.push(current);
    current = readStat(current)?.ppid ?? 0;
  }
  return out;
}
