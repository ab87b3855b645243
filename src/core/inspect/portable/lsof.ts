// lsof's field output (`-F`), the only lsof format berth reads: the human columns differ between
// versions and platforms, the fields do not (lsof(8), OUTPUT FOR OTHER PROGRAMS). With `-F0`
// every field is "<letter><value>\0" and every set ends with a newline: a process set starts
// with `p` (pid), a file set with `f` (descriptor). Fields berth asks for:
//   process: p pid, g pgid, R ppid, c command, u uid
//   file:    f fd, a access (r w u), l lock (r R w W u U N x X, or a space: none), t type
//            (IPv4 IPv6 unix REG DIR …), d device (sockets: the inode on Linux, the kernel
//            address of the socket "0x…" on macOS), D device of a file (hex), i inode,
//            P protocol (TCP UDP), n name, T TCP info (ST=LISTEN …)
// Always run with -n -P (no DNS or service names: slow and ambiguous) and -w (no warnings).
import type { Family, Protocol } from '../sockets.ts';
import type { LockAccess } from '../file-locks.ts';

export interface LsofFile {
  /** the descriptor field as lsof prints it: a number, or cwd, txt, mem, rtd … */
  fd: string;
  fields: Record<string, string>;
  /** the T fields (TCP info), which repeat */
  tcp: string[];
}

export interface LsofProcess {
  pid: number;
  uid?: number;
  ppid?: number;
  pgid?: number;
  command?: string;
  files: LsofFile[];
}

/** The options every lsof run starts with. */
export const LSOF_BASE = ['-n', '-P', '-w'];

/** Parses `lsof -F0…` output into its process sets and their file sets. */
export function parseLsof(text: string): LsofProcess[] {
  const out: LsofProcess[] = [];
  let proc: LsofProcess | undefined;
  let file: LsofFile | undefined;
  for (const raw of text.split('\0')) {
    const field = raw.startsWith('\n') ? raw.slice(1) : raw;
    if (field.length === 0) continue;
    const id = field[0]!;
    const value = field.slice(1);
    if (id === 'p') {
      proc = { pid: Number(value), files: [] };
      file = undefined;
      out.push(proc);
      continue;
    }
    if (proc === undefined) continue;
    if (id === 'f') {
      file = { fd: value, fields: {}, tcp: [] };
      proc.files.push(file);
      continue;
    }
    if (file === undefined) {
      if (id === 'u') proc.uid = Number(value);
      else if (id === 'R') proc.ppid = Number(value);
      else if (id === 'g') proc.pgid = Number(value);
      else if (id === 'c') proc.command = value;
      continue;
    }
    if (id === 'T') file.tcp.push(value);
    else file.fields[id] = value;
  }
  return out;
}

/** Every file set, with the process it belongs to (lsof starts a file set without `f` when -F has no f). */
export function* filesOf(procs: LsofProcess[]): Generator<[LsofProcess, LsofFile]> {
  for (const p of procs) for (const f of p.files) yield [p, f];
}

/**
 * A socket's key as one number: the decimal inode (Linux), or the kernel address "0x…" (macOS)
 * folded into the 53 bits a JS number holds exactly. The same socket always gets the same key.
 */
export function socketKey(device: string | undefined): number | undefined {
  if (device === undefined || device.length === 0) return undefined;
  if (/^\d+$/.test(device)) return Number(device);
  if (!/^0x[0-9a-f]+$/i.test(device)) return undefined;
  const big = BigInt(device);
  return Number((big ^ (big >> 53n)) & ((1n << 53n) - 1n));
}

export interface InetName {
  address: string;
  port: number;
  remote?: { address: string; port: number };
}

/** "127.0.0.1:8080", "*:53", "[::1]:5432", "10.0.0.1:5000->10.0.0.2:80" as address and port. */
export function parseInetName(name: string, family: Family): InetName | undefined {
  const [local, remote] = name.split('->');
  const l = parseEndpoint(local!, family);
  if (l === undefined) return undefined;
  const r = remote === undefined ? undefined : parseEndpoint(remote.split(' ')[0]!, family);
  return r === undefined ? l : { ...l, remote: r };
}

function parseEndpoint(text: string, family: Family): { address: string; port: number } | undefined {
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  let address = text.slice(0, colon);
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port)) return undefined;
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  if (address === '*') address = family === 'ipv4' ? '0.0.0.0' : '::';
  return { address, port };
}

export function familyOf(type: string | undefined): Family | undefined {
  return type === 'IPv4' ? 'ipv4' : type === 'IPv6' ? 'ipv6' : undefined;
}

export function protocolOf(p: string | undefined): Protocol | undefined {
  return p === 'TCP' ? 'tcp' : p === 'UDP' ? 'udp' : undefined;
}

export function isListening(file: LsofFile): boolean {
  return file.tcp.includes('ST=LISTEN');
}

/**
 * What lsof's lock character says: r/w a read/write lock on part of the file, R/W on all of it,
 * u a read and write lock, U a lock of unknown type, N an NFS lock, x/X a Xenix lock; a space
 * (or nothing) is no lock. lsof tells neither the byte range nor flock from fcntl: `whole`
 * is only true for R and W, and anything not plainly a read lock is counted as a write lock.
 */
export function lockOf(char: string | undefined): { access: LockAccess; whole: boolean } | undefined {
  if (char === undefined || char.trim().length === 0) return undefined;
  const c = char.trim()[0]!;
  if (c === 'r' || c === 'R') return { access: 'read', whole: c === 'R' };
  if ('wWuUNxX'.includes(c)) return { access: 'write', whole: c === 'W' || c === 'X' };
  return undefined;
}

/** How a descriptor was opened, from lsof's access character (r, w, u). */
export function accessOf(char: string | undefined): 'read' | 'write' | 'read-write' | undefined {
  return char === 'r' ? 'read' : char === 'w' ? 'write' : char === 'u' ? 'read-write' : undefined;
}
