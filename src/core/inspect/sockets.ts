// Listening TCP sockets and bound UDP sockets: their types, the parsers of Linux's
// /proc/net/{tcp,tcp6,udp,udp6} tables (the proc backend reads them: ./proc/net.ts), and the
// questions the core asks of them through the inspection backend (./select.ts).
import type { SocketEntry } from './backend.ts';
import { inspect } from './select.ts';

export type Protocol = 'tcp' | 'udp';
export type Family = 'ipv4' | 'ipv6';

export type { SocketEntry };

const TCP_LISTEN = '0A';
/** Every listening TCP socket and every bound UDP socket, or those on one port / of one protocol. */
export function readSockets(filter: { port?: number; protocol?: Protocol } = {}): SocketEntry[] {
  return inspect().readSockets(filter);
}

export function parseNetTable(text: string, protocol: Protocol, family: Family, onlyPort?: number): SocketEntry[] {
  const out: SocketEntry[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const cols = lines[i]!.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const local = cols[1]!;
    const colon = local.indexOf(':');
    const port = parseInt(local.slice(colon + 1), 16);
    if (port === 0 || (onlyPort !== undefined && port !== onlyPort)) continue;
    // TCP: only listeners. UDP has no listen state: any socket bound to a port counts.
    if (protocol === 'tcp' && cols[3] !== TCP_LISTEN) continue;
    const inode = Number(cols[9]);
    if (inode === 0) continue; // in TIME_WAIT or orphaned: no process owns it
    out.push({ protocol, family, address: decodeAddress(local.slice(0, colon), family), port, uid: Number(cols[7]), inode });
  }
  return out;
}

/** The kernel prints addresses as 32-bit words in host (little-endian) order. */
export function decodeAddress(hex: string, family: Family): string {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let b = 6; b >= 0; b -= 2) bytes.push(parseInt(word.slice(b, b + 2), 16));
  }
  if (family === 'ipv4') return bytes.join('.');
  // IPv4-mapped IPv6 (::ffff:a.b.c.d)
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) {
    return `::ffff:${bytes.slice(12).join('.')}`;
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return compressIpv6(groups);
}

function compressIpv6(groups: string[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

/** The set of ports something listens on (TCP) or is bound to (UDP), on any address. */
export function busyPorts(): Set<number> {
  return new Set(readSockets().map((s) => s.port));
}

/**
 * The uid of the process that holds the client end of a loopback TCP connection to serverPort
 * from clientPort (the connection's remote port, as the server sees it). Undefined when there is
 * no such connection or it belongs to no process any more: the caller refuses then. The
 * dashboard uses it to serve its own user only (docs/security.md).
 */
export function tcpClientUid(clientPort: number, serverPort: number): number | undefined {
  return inspect().tcpClientUid(clientPort, serverPort);
}

/**
 * In the text of a /proc/net/tcp{,6} table, the uid of the row whose local port is clientPort
 * and remote port serverPort; undefined when there is none or it is orphaned (inode 0).
 */
export function findClientUid(text: string, clientPort: number, serverPort: number): number | undefined {
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const cols = lines[i]!.trim().split(/\s+/);
    if (cols.length < 10) continue;
    const local = cols[1]!;
    const remote = cols[2]!;
    if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) !== clientPort) continue;
    if (parseInt(remote.slice(remote.lastIndexOf(':') + 1), 16) !== serverPort) continue;
    if (Number(cols[9]) === 0) return undefined;
    return Number(cols[7]);
  }
  return undefined;
}
