// Who listens on a port: the backend's sockets joined with the processes that hold them.
import { describeProcess, type ProcessInfo } from './process.ts';
import { inspect } from './select.ts';
import type { SocketEntry } from './sockets.ts';
import { userName } from './users.ts';

export interface Listener extends SocketEntry {
  /** uid that created the socket */
  user: string;
  /** every process holding the socket: a pre-forked server shares one socket among many */
  processes: ProcessInfo[];
}

export interface ListenerReport {
  listeners: Listener[];
  /** processes whose fds could not be read; their sockets may show no process */
  unreadable: number;
}

/** Every listening TCP and bound UDP socket, or only those on one port, with their processes. */
export function findListeners(filter: { port?: number } = {}): ListenerReport {
  const backend = inspect();
  const sockets = backend.readSockets(filter);
  const { byInode, unreadable } = backend.socketHolders(sockets.map((s) => s.inode));
  const described = new Map<number, ProcessInfo | undefined>();
  const describe = (pid: number): ProcessInfo | undefined => {
    if (!described.has(pid)) described.set(pid, describeProcess(pid));
    return described.get(pid);
  };
  const listeners = sockets.map((s) => ({
    ...s,
    user: userName(s.uid),
    processes: (byInode.get(s.inode) ?? [])
      .sort((a, b) => a - b)
      .map(describe)
      .filter((p): p is ProcessInfo => p !== undefined),
  }));
  listeners.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol) || a.family.localeCompare(b.family));
  return { listeners, unreadable };
}
