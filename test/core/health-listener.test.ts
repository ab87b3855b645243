// The health check's shared TCP table (health.ts): it may serve a table read a moment ago, but
// never to say that a port nobody held then is still not held. A starting service opens its
// port between two checks; a table from before that made the next check fail too, and every
// start waited one check interval more than it needed. Real sockets, this process as the leader.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import { readIdentity } from '../../src/core/identity.ts';
import { listenerInTree } from '../../src/core/supervisor/health.ts';

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no port'));
      else resolve({ server, port: address.port });
    });
  });
}

test('a port opened just after a check that read the table is seen by the next check, not hidden by that table', async () => {
  const leader = readIdentity(process.pid)!;
  const instance = { leader, marker: null };
  // a port this process holds, so that the table is read and kept now
  const first = await listen();
  try {
    assert.equal(listenerInTree(first.port, instance)?.pid, process.pid, 'the first listener is found');
    const second = await listen();
    try {
      assert.equal(listenerInTree(second.port, instance)?.pid, process.pid, 'a port opened after the table was read is found at once');
    } finally {
      second.server.close();
    }
  } finally {
    first.server.close();
  }
});
