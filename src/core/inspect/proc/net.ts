// The proc backend's sockets: Linux's /proc/net tables, parsed by ../sockets.ts. Listening TCP
// and bound UDP sockets from tcp/tcp6/udp/udp6, a loopback connection's client uid from tcp/tcp6,
// and bound Unix sockets (abstract names, "@name") from /proc/net/unix.
import type { Family, Protocol, SocketEntry } from '../sockets.ts';
import { findClientUid, parseNetTable } from '../sockets.ts';
import { socketHolders } from './fds.ts';
import { takePrefetched } from './net-prefetch.ts';
import { readProcFile } from './procfs.ts';

const SOURCES: Array<[string, Protocol, Family]> = [
  ['net/tcp', 'tcp', 'ipv4'],
  ['net/tcp6', 'tcp', 'ipv6'],
  ['net/udp', 'udp', 'ipv4'],
  ['net/udp6', 'udp', 'ipv6'],
];

/** Every listening TCP socket and every bound UDP socket in this network namespace. */
export function readSockets(filter: { port?: number; protocol?: Protocol } = {}): SocketEntry[] {
  const out: SocketEntry[] = [];
  for (const [file, protocol, family] of SOURCES) {
    // Reading a /proc/net table costs milliseconds of kernel time on some hosts: skip unasked ones.
    if (filter.protocol !== undefined && protocol !== filter.protocol) continue;
    out.push(...parseNetTable(takePrefetched(file) ?? readProcFile(file), protocol, family, filter.port));
  }
  return out;
}

/** The uid at the client end of a loopback connection clientPort → serverPort (tcp, then tcp6). */
export function tcpClientUid(clientPort: number, serverPort: number): number | undefined {
  for (const file of ['net/tcp', 'net/tcp6']) {
    const uid = findClientUid(readProcFile(file), clientPort, serverPort);
    if (uid !== undefined) return uid;
  }
  return undefined;
}

/** The pids holding bound Unix sockets whose name starts with `prefix` ("@…" for abstract ones), by the rest of the name. */
export function boundUnixSockets(prefix: string): Map<string, number[]> {
  const inodes = new Map<number, string>();
  for (const line of readProcFile('net/unix').split('\n')) {
    const cols = line.trim().split(/\s+/);
    const path = cols[7];
    if (path?.startsWith(prefix)) inodes.set(Number(cols[6]), path.slice(prefix.length));
  }
  const { byInode } = socketHolders(inodes.keys());
  const out = new Map<string, number[]>();
  for (const [inode, name] of inodes) out.set(name, [...(out.get(name) ?? []), ...(byInode.get(inode) ?? [])]);
  return out;
}

/** The inodes of the sockets a process holds, from its fd links ("socket:[inode]"). */
export function socketKeysOf(links: Array<[number, string]>): Set<number> {
  const out = new Set<number>();
  for (const [, link] of links) if (link.startsWith('socket:[')) out.add(Number(link.slice(8, -1)));
  return out;
}
