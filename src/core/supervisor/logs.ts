// Service logs: one file per service that the service writes to directly (the daemon is not in
// the path), capped by copy-and-truncate: the service's fd is opened with O_APPEND, so after
// the truncate its writes continue at the start of the file.
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readSync, statSync, truncateSync, writeSync } from 'node:fs';

const FOLLOW_POLL_MS = 200;
import { join } from 'node:path';

export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;

export function logPath(home: string, name: string): string {
  return join(home, 'logs', `${name}.log`);
}

/** Opens a service's log for appending (creating logs/ if needed) and writes a header line. */
export function openLog(home: string, name: string, header: string): number {
  mkdirSync(join(home, 'logs'), { recursive: true, mode: 0o700 });
  const fd = openSync(logPath(home, name), 'a', 0o600);
  writeSync(fd, `--- berth: ${header} at ${new Date().toISOString()} ---\n`);
  return fd;
}

/** Rotates the log to <name>.log.1 when it is over maxBytes. Returns true if it rotated. */
export function rotateLog(path: string, maxBytes: number): boolean {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return false;
  }
  if (size <= maxBytes) return false;
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  return true;
}

/** The last n lines of a file (reading only its end). */
export function tailLines(path: string, n: number): string[] {
  if (n <= 0 || !existsSync(path)) return [];
  const fd = openSync(path, 'r');
  try {
    const size = statSync(path).size;
    let chunk = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buf = Buffer.alloc(size - start);
      readSync(fd, buf, 0, buf.length, start);
      const lines = buf.toString('utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      if (lines.length > n || start === 0) return lines.slice(-n);
      chunk *= 4;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Calls onLine for every complete line appended to the file from now on, polling its size;
 * starts over from the top when the file shrinks (rotated). Returns a function that stops.
 */
export function followFile(path: string, onLine: (line: string) => void, pollMs = FOLLOW_POLL_MS): () => void {
  let offset = existsSync(path) ? statSync(path).size : 0;
  let pending = '';
  const timer = setInterval(() => {
    const size = existsSync(path) ? statSync(path).size : 0;
    if (size < offset) offset = 0;
    if (size <= offset) return;
    const fd = openSync(path, 'r');
    const buf = Buffer.alloc(size - offset);
    try {
      readSync(fd, buf, 0, buf.length, offset);
    } finally {
      closeSync(fd);
    }
    offset = size;
    const parts = (pending + buf.toString('utf8')).split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) onLine(line);
  }, pollMs);
  return () => clearInterval(timer);
}
