// Reading Linux's /proc/net tables in one walk instead of two. The kernel fills each read() of
// such a file (a seq_file) from where the last one stopped, until the reader's buffer or its own
// page-sized buffer is full, or the table ends; and every read walks the TCP connection hash
// again to find its place: ~2.3 ms on our CI machine however few sockets there are. Node's
// readFileSync reads until a read returns nothing, so a table that fits in one read cost two
// walks. Here a read that came back with room for another record in even a 4 KiB page buffer
// ended because the table did, and is the last (records are at most a few hundred bytes).
import { closeSync, openSync, read, readSync } from 'node:fs';

/** A read of at most this many bytes was cut by the table's end, not by the kernel's buffer. */
export const SEQ_SHORT_READ = 4096 - 512;
const CHUNK = 256 * 1024;

/** A /proc seq_file's text, or undefined when it cannot be read. */
export function readSeqFile(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n > 0) chunks.push(buf.subarray(0, n));
      if (n <= SEQ_SHORT_READ) break;
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The same on the thread pool: one job per read (one, for a table that fits), so it runs while the main thread is busy. */
export function readSeqFileAsync(path: string): Promise<string | undefined> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return Promise.resolve(undefined);
  }
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    const next = (): void => {
      const buf = Buffer.allocUnsafe(CHUNK);
      read(fd, buf, 0, CHUNK, null, (err, n) => {
        if (err) return done(undefined);
        if (n > 0) chunks.push(buf.subarray(0, n));
        if (n <= SEQ_SHORT_READ) return done(Buffer.concat(chunks).toString('utf8'));
        next();
      });
    };
    const done = (text: string | undefined): void => {
      closeSync(fd);
      resolve(text);
    };
    next();
  });
}
