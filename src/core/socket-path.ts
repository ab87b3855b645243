// Where berth binds its Unix sockets (the daemon's API socket, the sd_notify socket). They live
// in the home, which is private (0700). But sun_path is small: 108 bytes with its NUL on Linux,
// 104 on macOS and the BSDs, and a home under ~/Library/Application Support or a deep temp dir
// can be longer. Node binds a longer path truncated (a stray socket beside the home). So when the
// home's path does not fit, the socket goes to a short path instead: /tmp/berth-UID/HASH.NAME,
// the hash naming the home (so every client of that home finds the same socket), in a directory
// berth creates 0700 and accepts only if it is a real directory of this user that nobody else
// can write (never through a symlink: another user could have planted /tmp/berth-UID first). An
// abstract name was not the fallback: any user could bind it first (decision 0024). Decision 0029.
import { dirname, join } from 'node:path';
import { sha256Hex } from './hash.ts';
import { checkPrivateDir, currentUid, ensurePrivateDir } from './private-fs.ts';

/** The longest path sun_path holds (its size minus the NUL): Linux 107, macOS and the BSDs 103. */
export function sunPathMax(platform: NodeJS.Platform | string = process.platform): number {
  return platform === 'linux' ? 107 : 103;
}

/** The base of the short paths: fixed, not $TMPDIR, so the daemon and every client agree. */
export const SHORT_SOCKET_BASE = '/tmp';

/** Where one socket of a home is bound, and whether that is the short fallback outside the home. */
export interface SocketPlace {
  path: string;
  /** true: the home's path was too long, the socket is under /tmp/berth-UID */
  fallback: boolean;
}

/** The place of the socket `file` (e.g. "berthd.sock") of a home. Touches no disk. */
export function socketPlace(
  home: string,
  file: string,
  opts: { platform?: NodeJS.Platform | string; base?: string; uid?: number } = {},
): SocketPlace {
  const inHome = join(home, file);
  if (Buffer.byteLength(inHome) <= sunPathMax(opts.platform)) return { path: inHome, fallback: false };
  const hash = sha256Hex(home).slice(0, 16);
  return { path: join(shortSocketDir(opts.base, opts.uid), `${hash}.${file}`), fallback: true };
}

/** /tmp/berth-UID: the directory of this user's short socket paths. */
export function shortSocketDir(base: string = SHORT_SOCKET_BASE, uid: number = currentUid()): string {
  return join(base, `berth-${uid}`);
}

/**
 * Before binding: makes sure the socket's directory is berth's own. In the home there is nothing
 * to do (the home is checked); for a fallback path the directory is created 0700, or refused
 * (StateUnsafeError) when it is a symlink, another user's, or writable by others.
 */
export function ensureSocketDir(place: SocketPlace): void {
  if (place.fallback) ensurePrivateDir(dirname(place.path));
}

/**
 * Before connecting: a fallback socket is trusted only in berth's own directory, so that nobody
 * else's daemon (a socket planted under a /tmp/berth-UID another user made) gets our requests.
 * Throws StateUnsafeError for a directory that is not ours; a missing one is fine (no daemon yet).
 */
export function checkSocketDir(place: SocketPlace): void {
  if (place.fallback) checkPrivateDir(dirname(place.path));
}
