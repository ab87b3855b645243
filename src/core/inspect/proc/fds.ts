// Maps kernel objects (socket inodes, files) to the processes holding them, by walking
// /proc/<pid>/fd. This is the costly part of every question, so callers pass in exactly what
// they look for and the walk stops at nothing else.
import { listPids, readFdLinks } from './procfs.ts';

export interface FdScan<T> {
  matches: Map<number, Array<{ fd: number; key: T }>>;
  /** processes whose fd table could not be read (another user's, or gone mid-walk) */
  unreadable: number;
}

/**
 * Walks every process's fd table and keeps the fds whose link target `match` maps to a key.
 * Processes that cannot be read are counted, never an error.
 */
export function scanFds<T>(match: (link: string) => T | undefined): FdScan<T> {
  const matches = new Map<number, Array<{ fd: number; key: T }>>();
  let unreadable = 0;
  for (const pid of listPids()) {
    const links = readFdLinks(pid);
    if (links === undefined) {
      unreadable++;
      continue;
    }
    for (const [fd, link] of links) {
      const key = match(link);
      if (key === undefined) continue;
      const list = matches.get(pid);
      if (list) list.push({ fd, key });
      else matches.set(pid, [{ fd, key }]);
    }
  }
  return { matches, unreadable };
}

/** Finds the pids that hold each of the given socket inodes. */
export function socketHolders(inodes: Iterable<number>): { byInode: Map<number, number[]>; unreadable: number } {
  const wanted = new Set(inodes);
  const byInode = new Map<number, number[]>();
  if (wanted.size === 0) return { byInode, unreadable: 0 };
  const scan = scanFds((link) => {
    if (!link.startsWith('socket:[')) return undefined;
    const inode = Number(link.slice(8, -1));
    return wanted.has(inode) ? inode : undefined;
  });
  for (const [pid, fds] of scan.matches) {
    for (const inode of new Set(fds.map((f) => f.key))) {
      const list = byInode.get(inode);
      if (list) list.push(pid);
      else byInode.set(inode, [pid]);
    }
  }
  return { byInode, unreadable: scan.unreadable };
}
