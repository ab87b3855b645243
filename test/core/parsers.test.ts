import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../src/core/errors.ts';
import { describeLock, parseLockLine, splitDev } from '../../src/core/inspect/file-locks.ts';
import { decodeAddress, parseNetTable } from '../../src/core/inspect/sockets.ts';
import { portInLogLine } from '../../src/core/supervisor/port-mismatch.ts';
import { MAX_WATCHDOG_MS, parseDuration, parseName, parsePort, parsePortRange, parseWatchdog } from '../../src/core/validate.ts';
import { BadRequestError, parseRunRequest } from '../../src/daemon/requests.ts';

test('addresses from /proc/net are decoded', () => {
  assert.equal(decodeAddress('0100007F', 'ipv4'), '127.0.0.1');
  assert.equal(decodeAddress('00000000', 'ipv4'), '0.0.0.0');
  assert.equal(decodeAddress('00000000000000000000000000000000', 'ipv6'), '::');
  assert.equal(decodeAddress('00000000000000000000000001000000', 'ipv6'), '::1');
  assert.equal(decodeAddress('0000000000000000FFFF00000100007F', 'ipv6'), '::ffff:127.0.0.1');
  assert.equal(decodeAddress('B80D0120000000000000000001000000', 'ipv6'), '2001:db8::1');
});

test('only TCP listeners and bound UDP sockets with an owner are read', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0 100 0 0 10 0',
    '   1: 0100007F:1F91 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 222 1 0 100 0 0 10 0',
    '   2: 0100007F:1F92 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 0 1 0 100 0 0 10 0',
  ].join('\n');
  assert.deepEqual(parseNetTable(table, 'tcp', 'ipv4'), [{ protocol: 'tcp', family: 'ipv4', address: '127.0.0.1', port: 8080, uid: 1000, inode: 111 }]);
  assert.equal(parseNetTable(table, 'udp', 'ipv4').length, 2, 'udp counts any bound socket');
  assert.equal(parseNetTable(table, 'tcp', 'ipv4', 9999).length, 0);
});

test('/proc/locks lines are parsed, including waiters and OFD locks', () => {
  assert.deepEqual(parseLockLine('1: POSIX  ADVISORY  WRITE 2251 fe:00:2146370 0 EOF'), {
    id: 1, waiting: false, kind: 'POSIX', mandatory: false, access: 'write', pid: 2251, major: 254, minor: 0, inode: 2146370, start: 0, end: null,
  });
  const waiter = parseLockLine('2: -> FLOCK  ADVISORY  WRITE 99 08:01:12 0 EOF');
  assert.deepEqual([waiter?.waiting, waiter?.kind], [true, 'FLOCK']);
  const ofd = parseLockLine('3: OFDLCK ADVISORY  READ  -1 08:01:12 100 200');
  assert.deepEqual([ofd?.kind, ofd?.access, ofd?.pid, ofd?.end], ['OFD', 'read', -1, 200]);
  assert.match(describeLock(parseLockLine('4: POSIX ADVISORY WRITE 7 08:01:12 1073741824 1073742335')!), /sqlite writer: exclusive/);
  assert.deepEqual(splitDev(0xfe00), { major: 254, minor: 0 });
  assert.deepEqual(splitDev(259 * 256 + 3), { major: 259, minor: 3 });
});

test('user input is validated with usage errors', () => {
  assert.equal(parsePort(':8765'), 8765);
  for (const bad of ['0', '65536', '-1', '80x', '', '1.5']) assert.throws(() => parsePort(bad), UsageError, bad);
  assert.equal(parseName('api.v2_1-x'), 'api.v2_1-x');
  for (const bad of ['', 'a b', 'x'.repeat(65), 'a/b', 'é']) assert.throws(() => parseName(bad), UsageError, bad);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('30'), 30_000);
  assert.throws(() => parseDuration('soon'), UsageError);
  assert.deepEqual(parsePortRange('40000-40010'), { low: 40000, high: 40010 });
  assert.deepEqual(parsePortRange(undefined), { low: 20000, high: 29999 });
  for (const bad of ['10-5', '0-10', '1-70000', 'x']) assert.throws(() => parsePortRange(bad), UsageError, bad);
});

test('watchdog: 100 ms to 2^31-1 ms (a longer Node timer fires at once: a kill loop), from the CLI and the socket API alike', () => {
  assert.equal(parseWatchdog('100ms'), 100);
  assert.equal(parseWatchdog('24d'), 24 * 86_400_000);
  assert.equal(parseWatchdog(`${MAX_WATCHDOG_MS}ms`), MAX_WATCHDOG_MS);
  for (const bad of ['99ms', '25d', `${MAX_WATCHDOG_MS + 1}ms`, '30d']) assert.throws(() => parseWatchdog(bad), (e: unknown) => e instanceof UsageError && e.code === 'invalid_watchdog', bad);
  const spec = { name: 'web', argv: ['sleep', '1'], cwd: '/tmp', env: {}, port: { kind: 'auto' }, health: null, restart: 'never', maxRestarts: null, purpose: null, ephemeral: false, onConflict: 'refuse', locks: [] };
  const run = (watchdogMs: number): unknown => parseRunRequest({ actor: 'a', owner: { session: 's', source: 'env', user: 'u' }, spec: { ...spec, watchdogMs }, env: {}, wait: false, timeoutMs: 1000 });
  assert.ok(run(100));
  assert.ok(run(MAX_WATCHDOG_MS));
  for (const bad of [1, 99, MAX_WATCHDOG_MS + 1, 2 ** 31 * 10]) assert.throws(() => run(bad), BadRequestError, String(bad));
});

test('portInLogLine: what a server prints about where it listens, and what it does not', () => {
  assert.equal(portInLogLine('Listening on http://[::]:3000'), 3000);
  assert.equal(portInLogLine('Listening on http://localhost:3000/'), 3000);
  assert.equal(portInLogLine('server listening at 127.0.0.1:4321'), 4321);
  assert.equal(portInLogLine('listening on port 5000'), 5000);
  assert.equal(portInLogLine('connecting to http://db.internal:5432'), null);
  assert.equal(portInLogLine('compiled in 1200 ms'), null);
  // a local URL that is not where it listens, or a port that is not the line's last word (adversarial #3)
  assert.equal(portInLogLine('backend API proxied to http://localhost:9000'), null);
  assert.equal(portInLogLine('api: http://localhost:39999'), null);
  assert.equal(portInLogLine('listening on http://localhost:9$((1))99'), null);
  assert.equal(portInLogLine('listening on :8000 for admin, proxying to http://localhost:9000'), null);
  assert.equal(portInLogLine('  ➜  Local:   http://localhost:5173/'), null);
});
