// The daemon's NOTIFY_SOCKET: an AF_UNIX SOCK_DGRAM socket that receives the sd_notify
// datagrams services send (READY=1, WATCHDOG=1, STATUS=…). Node has no datagram Unix socket
// (node:dgram is UDP only), so the few libc calls go through koffi, an FFI whose binaries
// ship inside its npm package (nothing is compiled at install, like better-sqlite3); see
// docs/decisions/0024-notify-socket.md. SO_PASSCRED makes the kernel attach the sender's
// pid and uid (SCM_CREDENTIALS) to every datagram: the sender is whoever the kernel says,
// never what the text claims. The socket is non-blocking and drained on a short timer, so no
// thread is parked in recvmsg and closing is just close(2); the timer backs off while nothing
// is said, so an idle daemon costs next to nothing (docs/benchmarks.md). Linux only: elsewhere (or if koffi
// cannot load) there is no NOTIFY_SOCKET and `berth beat` over the API socket still works.
import { chmodSync, lstatSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { NOTIFY_MAX_BYTES } from '../core/supervisor/notify.ts';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_PASSCRED = 16;
const SCM_RIGHTS = 1;
const SCM_CREDENTIALS = 2;
/** recvmsg flag: any fd passed in SCM_RIGHTS is installed close-on-exec (never inherited by a service) */
const MSG_CMSG_CLOEXEC = 0x40000000;
/** the drain's period while services talk */
export const DRAIN_MS = 50;
/** its period after a quiet second: ~0.2 % of a core idle at 50 ms, a fifth of that at 250 ms */
export const IDLE_DRAIN_MS = 250;
const QUIET_AFTER_MS = 1_000;
/** at most this many datagrams per drain: a flood cannot hold the event loop */
const DRAIN_MAX = 256;

export interface NotifySocket {
  /** what services get as NOTIFY_SOCKET */
  address: string;
  /** drains now, whatever the timer's period (before a watchdog verdict) */
  flush(): void;
  close(): void;
}

export interface NotifyDatagram {
  sender: { pid: number; uid: number };
  text: string;
}

/** One drain's datagrams at once, so that the receiver reads the process table once per batch. */
export type NotifyHandler = (batch: NotifyDatagram[]) => void;

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  recvmsg(fd: number, msg: Buffer, flags: number): number | bigint;
  close(fd: number): number;
  address(buf: Buffer): bigint;
}

let libc: Libc | null | undefined;

/** libc through koffi, once; null where that is not possible (not Linux, koffi missing). */
function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  // the msghdr layout below is the 64-bit one
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64')) return libc;
  try {
    // koffi is CommonJS with a native part: loaded at run time, never bundled
    const koffi = createRequire(import.meta.url)('koffi') as {
      load(name: string): { func(sig: string): (...args: unknown[]) => unknown };
      address(buf: Buffer): bigint;
    };
    const c = koffi.load('libc.so.6');
    libc = {
      socket: c.func('int socket(int, int, int)') as Libc['socket'],
      bind: c.func('int bind(int, const void *, uint32_t)') as Libc['bind'],
      setsockopt: c.func('int setsockopt(int, int, int, const void *, uint32_t)') as Libc['setsockopt'],
      recvmsg: c.func('intptr_t recvmsg(int, void *, int)') as Libc['recvmsg'],
      close: c.func('int close(int)') as Libc['close'],
      address: (buf) => koffi.address(buf),
    };
  } catch {
    libc = null;
  }
  return libc;
}

/** struct sockaddr_un for a path (that fits: notifyAddress checked it). */
function sockaddr(path: string): { buf: Buffer; len: number } {
  const name = Buffer.from(path);
  const buf = Buffer.alloc(2 + 108);
  buf.writeUInt16LE(AF_UNIX, 0);
  name.copy(buf, 2);
  // the length counts the path's NUL
  return { buf, len: 2 + name.length + 1 };
}

/**
 * Clears the way for the bind: a socket file at the path is a dead daemon's (the home is ours
 * and the daemon holds its singleton lock) and is removed; anything else there (a directory, a
 * file someone put) is left alone, and the daemon runs without a NOTIFY_SOCKET, saying why.
 */
function clearStaleSocket(path: string): boolean {
  let found;
  try {
    found = lstatSync(path);
  } catch {
    return true; // nothing there
  }
  if (found.isSocket()) {
    rmSync(path, { force: true });
    return true;
  }
  process.stderr.write(`berthd: ${path} exists and is not a socket; services get no NOTIFY_SOCKET (remove it and restart the daemon; berth beat still works)\n`);
  return false;
}

/**
 * Binds the socket at address and calls onMessages with the datagrams of each drain that carry
 * the sender's credentials. Returns null when this platform cannot (then no NOTIFY_SOCKET is given).
 */
export function openNotifySocket(address: string, onMessages: NotifyHandler): NotifySocket | null {
  const c = loadLibc();
  if (c === null) return null;
  // before the socket exists, so that nothing leaks when the path is taken
  if (!clearStaleSocket(address)) return null;
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return null;
  const { buf, len } = sockaddr(address);
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  if (c.bind(fd, buf, len) !== 0 || c.setsockopt(fd, SOL_SOCKET, SO_PASSCRED, one, 4) !== 0) {
    c.close(fd);
    return null;
  }
  // private like everything berth writes in its home (docs/security.md): bind used the umask.
  // The home is 0700, so nobody else could reach the path between the bind and this.
  try {
    chmodSync(address, 0o600);
  } catch {
    c.close(fd);
    rmSync(address, { force: true });
    return null;
  }
  // struct msghdr (x86-64/aarch64 layout): name, namelen, iov, iovlen, control, controllen, flags
  const data = Buffer.alloc(NOTIFY_MAX_BYTES + 1);
  // room for the credentials and the most fds one datagram can carry (SCM_MAX_FD, 253): all
  // of them are installed here, so all of them are closed (fewer would be dropped by the kernel,
  // with MSG_CTRUNC, which is fine too: what is not installed needs no close)
  const control = Buffer.alloc(2048);
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(c.address(data), 0);
  iov.writeBigUInt64LE(BigInt(data.length), 8);
  const msg = Buffer.alloc(56);
  let closed = false;
  const drain = (): NotifyDatagram[] => {
    const batch: NotifyDatagram[] = [];
    for (let i = 0; i < DRAIN_MAX && !closed; i++) {
      msg.fill(0);
      msg.writeBigUInt64LE(c.address(iov), 16);
      msg.writeBigUInt64LE(1n, 24);
      msg.writeBigUInt64LE(c.address(control), 32);
      msg.writeBigUInt64LE(BigInt(control.length), 40);
      const n = Number(c.recvmsg(fd, msg, MSG_CMSG_CLOEXEC));
      if (n < 0) break; // EAGAIN: nothing more now (or an error: tried again at the next tick)
      const controlLength = Math.min(Number(msg.readBigUInt64LE(40)), control.length);
      // Before anything else: a sender may pass fds (SCM_RIGHTS); the kernel has installed them
      // in the daemon. berth keeps none (no FDSTORE), so each is closed, or a few hundred
      // datagrams would exhaust the daemon's fds.
      closePassedFds(control, controlLength, (passed) => c.close(passed));
      const sender = credentials(control, controlLength);
      // a datagram without credentials, or larger than a notification, is not one
      if (sender === null || n > NOTIFY_MAX_BYTES) continue;
      batch.push({ sender, text: data.subarray(0, n).toString('utf8') });
    }
    return batch;
  };
  let lastHeard = Date.now();
  let timer: NodeJS.Timeout;
  const flush = (): void => {
    const batch = drain();
    if (batch.length === 0) return;
    lastHeard = Date.now();
    try {
      onMessages(batch);
    } catch {
      // a bad batch must not stop the drain
    }
  };
  const tick = (): void => {
    if (closed) return;
    flush();
    const now = Date.now();
    // while services talk, every 50 ms; after a quiet second, every 250 ms (the first beat of a
    // quiet spell waits at most that long, far below any watchdog interval berth accepts)
    timer = setTimeout(tick, now - lastHeard >= QUIET_AFTER_MS ? IDLE_DRAIN_MS : DRAIN_MS);
    timer.unref();
  };
  timer = setTimeout(tick, DRAIN_MS);
  timer.unref();
  return {
    address,
    flush,
    close(): void {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      c.close(fd);
      try {
        rmSync(address, { force: true });
      } catch {
        // replaced by something that is not ours to remove (a directory): left alone
      }
    },
  };
}

/**
 * Closes every fd of every SCM_RIGHTS message in a received control buffer (struct cmsghdr:
 * len 8, level 4, type 4; then the data). With MSG_CTRUNC the kernel's cmsg_len covers only
 * the fds it installed, and the walk stops at the end of what it wrote.
 */
function closePassedFds(control: Buffer, length: number, close: (fd: number) => void): void {
  let off = 0;
  while (off + 16 <= length) {
    const len = Number(control.readBigUInt64LE(off));
    if (len < 16) return;
    if (control.readInt32LE(off + 8) === SOL_SOCKET && control.readInt32LE(off + 12) === SCM_RIGHTS) {
      const end = Math.min(off + len, length);
      for (let p = off + 16; p + 4 <= end; p += 4) close(control.readInt32LE(p));
    }
    off += (len + 7) & ~7;
  }
}

/** The SCM_CREDENTIALS of a received datagram (struct cmsghdr: len 8, level 4, type 4; then pid, uid, gid). */
function credentials(control: Buffer, length: number): { pid: number; uid: number } | null {
  let off = 0;
  while (off + 16 <= length) {
    const len = Number(control.readBigUInt64LE(off));
    if (len < 16) return null;
    if (control.readInt32LE(off + 8) === SOL_SOCKET && control.readInt32LE(off + 12) === SCM_CREDENTIALS && len >= 28) {
      return { pid: control.readInt32LE(off + 16), uid: control.readUInt32LE(off + 20) };
    }
    off += (len + 7) & ~7;
  }
  return null;
}
