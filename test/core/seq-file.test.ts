// /proc/net tables read in one walk (src/core/inspect/proc/seq-file.ts): a read with room left
// is the last. The answers must be those of a read to the end, for a table that fits in one read
// and for one that takes many (more listening sockets than a 4 KiB page holds).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { readSeqFile, readSeqFileAsync, SEQ_SHORT_READ } from '../../src/core/inspect/proc/seq-file.ts';

/** The listening sockets of a tcp table, by local address (connections come and go between two reads). */
const listening = (text: string): string[] =>
  text
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((c) => c[3] === '0A')
    .map((c) => c[1]!)
    .sort();

async function listen(t: { after: (fn: () => void) => void }, count: number): Promise<number[]> {
  const servers: Server[] = [];
  t.after(() => servers.forEach((s) => s.close()));
  for (let i = 0; i < count; i++) {
    const s = createServer();
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  }
  return servers.map((s) => (s.address() as { port: number }).port);
}

test('a table longer than one kernel buffer is read to its end, sync and async', async (t) => {
  const ports = await listen(t, 60);
  const full = readFileSync('/proc/net/tcp', 'utf8');
  assert.ok(full.length > 4096 + SEQ_SHORT_READ, 'the table takes more than one read');
  const sync = readSeqFile('/proc/net/tcp');
  const async = await readSeqFileAsync('/proc/net/tcp');
  assert.ok(sync !== undefined && async !== undefined);
  assert.deepEqual(listening(sync), listening(full));
  assert.deepEqual(listening(async), listening(full));
  for (const port of ports) assert.ok(listening(sync).some((a) => a.endsWith(`:${port.toString(16).toUpperCase().padStart(4, '0')}`)), `port ${port} is in the table`);
});

test('a short table is read whole in one read, and a file that is not there is undefined', async () => {
  const udp = readFileSync('/proc/net/udp', 'utf8').split('\n')[0];
  assert.equal(readSeqFile('/proc/net/udp')?.split('\n')[0], udp, 'the header line');
  assert.equal(readSeqFile('/proc/net/no-such-table'), undefined);
  assert.equal(await readSeqFileAsync('/proc/net/no-such-table'), undefined);
});
