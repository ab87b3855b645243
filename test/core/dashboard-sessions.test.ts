// The dashboard's per-run secrets (src/daemon/dashboard-sessions.ts) and the client-uid lookup
// the connection check relies on (src/core/inspect/sockets.ts), without a daemon: a code works
// once and not after two minutes; a browser session is found by any of several cookie values;
// the client row of /proc/net/tcp is told from the server's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findClientUid } from '../../src/core/inspect/sockets.ts';
import { CODE_TTL_MS, DashboardSessions } from '../../src/daemon/dashboard-sessions.ts';

const owner = { session: 's1' } as never;

test('a code opens one browser session, once, within its two minutes', () => {
  let now = 1_000_000;
  const sessions = new DashboardSessions(() => now);
  const code = sessions.mint(owner);
  const secret = sessions.redeem(code);
  assert.match(secret ?? '', /^[0-9a-f]{64}$/);
  assert.notEqual(secret, code);
  assert.equal(sessions.redeem(code), undefined, 'a used code');
  assert.equal(sessions.find([secret!])?.owner, owner);
  assert.equal(sessions.find(['0'.repeat(64), 'junk', secret!])?.owner, owner, 'any of the values');
  assert.equal(sessions.find(['0'.repeat(64)]), undefined);
  const late = sessions.mint(owner);
  now += CODE_TTL_MS;
  assert.equal(sessions.redeem(late), undefined, 'an expired code');
  assert.equal(new DashboardSessions().find([secret!]), undefined, 'another run knows no session of this one');
});

test('the client row of a loopback connection, not the server\'s', () => {
  // server on port 0x6169 (24937), client port 0xA000 (40960): the accepted socket (uid 0) and the client (uid 1001)
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:6169 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0 100 0 0 10 0',
    '   1: 0100007F:6169 0100007F:A000 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0 20 4 30 10 -1',
    '   2: 0100007F:A000 0100007F:6169 01 00000000:00000000 00:00000000 00000000  1001        0 333 1 0 20 4 30 10 -1',
    '   3: 0100007F:A001 0100007F:6169 04 00000000:00000000 00:00000000 00000000  1002        0 0 1 0 20 4 30 10 -1',
  ].join('\n');
  assert.equal(findClientUid(table, 0xa000, 0x6169), 1001);
  assert.equal(findClientUid(table, 0xa001, 0x6169), undefined, 'an orphaned socket (inode 0) is refused');
  assert.equal(findClientUid(table, 0xa002, 0x6169), undefined, 'no such row');
});
