// The proc inspection backend: Linux's /proc read directly, no process spawned. This folder is
// the only place in berth that reads /proc (test/app/layers.test.ts holds it to that); the rest
// of the core asks ../select.ts's inspect() (docs/decisions/0027-inspection-backends.md).
import type { InspectBackend, ProcStat } from '../backend.ts';
import { readProcessUnit } from './cgroup.ts';
import { socketHolders } from './fds.ts';
import { allLocks, fileUses, openPaths } from './files.ts';
import { boundUnixSockets, readSockets, socketKeysOf, tcpClientUid } from './net.ts';
export { procMounted } from './procfs.ts';
import { listPids, readArgv, readBootId, readBootTimeMs, readCwd, readEnviron, readFdLinks, readRssBytes, readStat, readUids } from './procfs.ts';

export function createProcBackend(): InspectBackend {
  return {
    name: 'proc',
    listPids,
    readAllStats() {
      const stats = new Map<number, ProcStat>();
      for (const pid of listPids()) {
        const stat = readStat(pid);
        if (stat !== undefined) stats.set(pid, stat);
      }
      return stats;
    },
    readStat,
    readArgv,
    readCwd,
    readUids,
    readEnviron,
    readRssBytes,
    bootId: readBootId,
    bootTimeMs: readBootTimeMs,
    processUnit: (pid) => readProcessUnit(pid),
    readSockets,
    socketHolders,
    socketKeysOf(pid) {
      const links = readFdLinks(pid);
      return links === undefined ? undefined : socketKeysOf(links);
    },
    boundUnixSockets,
    tcpClientUid,
    fileUses,
    openPathsOf(pid) {
      const links = readFdLinks(pid);
      return links === undefined ? undefined : openPaths(links);
    },
    allLocks,
  };
}
