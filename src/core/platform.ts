// Which operating systems berth runs on. Everything berth asks of the OS (who holds a port or a
// file, a process's identity, named locks, the daemon's Unix socket) has a Linux and a portable
// Unix answer (lsof, ps, flock); none has a Windows one yet. On win32 berth stops at the door
// with one clear, typed error (exit 2) instead of failing deep inside with a stack trace from a
// missing /proc or a Unix socket path Windows reads differently (issue 16; decision 0029).
import { BerthError, EXIT } from './errors.ts';

/** The platforms berth refuses, and the words it uses for them. */
const UNSUPPORTED: Readonly<Record<string, string>> = { win32: 'Windows' };

/** berth does not run on this platform (yet). */
export class UnsupportedPlatformError extends BerthError {
  readonly platform: string;
  constructor(platform: string) {
    super('unsupported_platform', `berth does not support ${UNSUPPORTED[platform] ?? platform} yet: it needs a Unix (Linux, macOS, or another with lsof and ps)`, {
      hint: 'run berth inside WSL 2 (it is Linux there), or on a Linux or macOS machine',
      exitCode: EXIT.usage,
      details: { platform },
    });
    this.platform = platform;
  }
}

/** The error for a platform berth does not run on, or null where it does. */
export function unsupportedPlatform(platform: NodeJS.Platform | string = process.platform): UnsupportedPlatformError | null {
  return Object.hasOwn(UNSUPPORTED, platform) ? new UnsupportedPlatformError(platform) : null;
}

/** Throws UnsupportedPlatformError on a platform berth does not run on. */
export function assertSupportedPlatform(platform: NodeJS.Platform | string = process.platform): void {
  const err = unsupportedPlatform(platform);
  if (err !== null) throw err;
}
