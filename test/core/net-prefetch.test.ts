// The TCP tables read ahead for `berth who PORT` (src/core/inspect/proc/net-prefetch.ts): taken
// once by the proc backend, and what it answers from them is what a fresh read answers.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { prefetchNetTables, takePrefetched } from '../../src/core/inspect/proc/net-prefetch.ts';
import { readSockets } from '../../src/core/inspect/proc/net.ts';

test('a table read ahead is taken once; the next question reads it anew', async () => {
  await prefetchNetTables();
  const text = takePrefetched('net/tcp');
  assert.ok(text?.includes('local_address'), 'the tcp table was read ahead');
  assert.equal(takePrefetched('net/tcp'), undefined, 'taken once');
  assert.equal(takePrefetched('net/udp'), undefined, 'only the TCP tables are read ahead');
  takePrefetched('net/tcp6');
});

test('the backend answers from the tables read ahead as from its own read', async (t) => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  await prefetchNetTables();
  const ahead = readSockets({ port });
  assert.equal(takePrefetched('net/tcp'), undefined, 'readSockets took the table read ahead');
  const fresh = readSockets({ port });
  assert.deepEqual(ahead, fresh);
  assert.equal(ahead.length, 1);
  assert.equal(ahead[0]!.inode > 0, true);
});
