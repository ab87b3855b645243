import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PortTakenError, PortsExhaustedError, NotFoundError } from '../../src/core/errors.ts';
import { readIdentity } from '../../src/core/identity.ts';
import { leasePort, listPortRecords, preferredPort, releasePort, reservePort } from '../../src/core/ports/ports.ts';
import { listEvents } from '../../src/core/registry/events.ts';
import { Registry } from '../../src/core/registry/registry.ts';
import { tempHome } from '../helpers/home.ts';
import type { TestContext } from 'node:test';

const caller = { actor: 'test', owner: { session: 'unit', source: 'env' as const, user: 'test' } };
const range = { low: 30000, high: 30009 };
const none = (): Set<number> => new Set();

function open(t: TestContext): Registry {
  const registry = Registry.open(tempHome(t).home);
  t.after(() => registry.close());
  return registry;
}

test('a lease is sticky and starts at the port the name hashes to', (t) => {
  const r = open(t);
  const a = leasePort(r, caller, 'web', { range, busy: none });
  assert.equal(a.port, preferredPort('web', range));
  assert.equal(a.created, true);
  const b = leasePort(r, caller, 'web', { range, busy: none });
  assert.deepEqual([b.port, b.created], [a.port, false]);
});

test('a lease skips ports that are reserved, leased or in use on the host', (t) => {
  const r = open(t);
  const start = preferredPort('api', range);
  const next = (n: number): number => range.low + ((start - range.low + n) % 10);
  reservePort(r, caller, 'webhook', start);
  leasePort(r, caller, 'other', { range, busy: () => new Set([...Array(10).keys()].map((i) => range.low + i).filter((p) => p !== next(1))) });
  const lease = leasePort(r, caller, 'api', { range, busy: () => new Set([next(2)]) });
  assert.equal(lease.port, next(3));
});

test('the range running out is a typed error', (t) => {
  const r = open(t);
  const tiny = { low: 30000, high: 30001 };
  leasePort(r, caller, 'a', { range: tiny, busy: none });
  leasePort(r, caller, 'b', { range: tiny, busy: none });
  assert.throws(() => leasePort(r, caller, 'c', { range: tiny, busy: none }), PortsExhaustedError);
});

test('a lease past its TTL is reclaimed, with an event', (t) => {
  const r = open(t);
  const now = Date.now();
  const a = leasePort(r, caller, 'tmp', { range, busy: none, ttlMs: 1000, now });
  assert.equal(a.expiresAt, new Date(now + 1000).toISOString());
  // renewing with a TTL pushes the expiry out
  leasePort(r, caller, 'tmp', { range, busy: none, ttlMs: 5000, now: now + 500 });
  leasePort(r, caller, 'x', { range, busy: none, now: now + 2000 });
  assert.ok(listPortRecords(r).some((p) => p.name === 'tmp'), 'renewed lease survives');
  leasePort(r, caller, 'y', { range, busy: none, now: now + 6000 });
  assert.ok(!listPortRecords(r).some((p) => p.name === 'tmp'), 'expired lease is gone');
  const reclaim = listEvents(r).find((e) => e.verb === 'lease.reclaim');
  assert.deepEqual(reclaim?.details, { port: a.port, reason: 'expired' });
});

test('a lease whose holder process is gone, or whose pid was reused, is reclaimed', (t) => {
  const r = open(t);
  const me = readIdentity(process.pid)!;
  leasePort(r, caller, 'alive', { range, busy: none, holder: me });
  leasePort(r, caller, 'reused', { range, busy: none, holder: { ...me, startTicks: me.startTicks - 1 } });
  leasePort(r, caller, 'other', { range, busy: none });
  const names = listPortRecords(r).map((p) => p.name).sort();
  assert.deepEqual(names, ['alive', 'other']);
  assert.equal(listEvents(r).find((e) => e.verb === 'lease.reclaim')?.details?.reason, 'holder_gone');
});

test('reserve: refused when another name holds the port, replaces its own lease, idempotent', (t) => {
  const r = open(t);
  const lease = leasePort(r, caller, 'web', { range, busy: none });
  assert.throws(
    () => reservePort(r, caller, 'webhook', lease.port),
    (err: unknown) => err instanceof PortTakenError && err.holder.name === 'web' && err.exitCode === 3,
  );
  const res = reservePort(r, caller, 'web', 30005 === lease.port ? 30006 : 30005);
  assert.equal(res.kind, 'reservation');
  assert.equal(listPortRecords(r).filter((p) => p.name === 'web').length, 1);
  assert.equal(reservePort(r, caller, 'web', res.port).created, false);
  // a lease never lands on a reserved port, and the reserved name gets its reservation back
  assert.equal(leasePort(r, caller, 'web', { range, busy: none }).port, res.port);
});

test('release removes the record; releasing twice is not found', (t) => {
  const r = open(t);
  leasePort(r, caller, 'web', { range, busy: none });
  releasePort(r, caller, 'web');
  assert.deepEqual(listPortRecords(r), []);
  assert.throws(() => releasePort(r, caller, 'web'), NotFoundError);
  assert.deepEqual(listEvents(r).map((e) => e.verb), ['lease', 'release']);
});

test('the host sockets are read for a new lease only, not when a name asks again for its own', (t) => {
  const r = open(t);
  let reads = 0;
  const counted = (): Set<number> => {
    reads++;
    return new Set([preferredPort('web', range)]);
  };
  const now = Date.now();
  const a = leasePort(r, caller, 'web', { range, busy: counted, ttlMs: 1000, now });
  assert.equal(reads, 1, 'a new lease reads the sockets');
  assert.notEqual(a.port, preferredPort('web', range), 'and skips the port in use');
  leasePort(r, caller, 'web', { range, busy: counted, now: now + 10 });
  leasePort(r, caller, 'web', { range, busy: counted, ttlMs: 1000, now: now + 20 });
  assert.equal(reads, 1, 'asking again (or renewing) reads nothing');
  // lapsed: reclaimed under the lock, and the new lease still skips the port in use
  const b = leasePort(r, caller, 'web', { range, busy: counted, now: now + 60_000 });
  assert.equal(reads, 2, 'a lapsed lease is leased anew, with the sockets read');
  assert.equal(b.created, true);
  assert.notEqual(b.port, preferredPort('web', range));
});
