// The proc backend's service-manager unit of a process: its /proc/PID/cgroup, parsed by
// ../units.ts (parseCgroupUnit), read with a bound.
import { readBoundedText } from '../../bounded-read.ts';
import { parseCgroupUnit, type SystemdUnit } from '../units.ts';
import { PROC } from './procfs.ts';

/** The most berth reads of /proc/PID/cgroup (a few lines, even with every v1 controller). */
const MAX_CGROUP_BYTES = 16 * 1024;

/** The service a process runs in, or null. procRoot is /proc, or a fixture tree in tests. */
export function readProcessUnit(pid: number, procRoot: string = PROC): SystemdUnit | null {
  try {
    return parseCgroupUnit(readBoundedText(`${procRoot}/${pid}/cgroup`, MAX_CGROUP_BYTES));
  } catch {
    return null;
  }
}
