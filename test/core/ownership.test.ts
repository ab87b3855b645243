// The ownership rule's table (DESIGN.md "Ownership rule"), row by row, with the gone-check
// injected: the one function every acting verb asks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertOwnership, checkOwnership, OwnedElsewhereError } from '../../src/core/ownership.ts';
import type { Owner } from '../../src/core/owner.ts';

const me: Owner = { session: 'me', source: 'env', user: 'alice' };
const agent: Owner = { session: 'codex:42:7', source: 'agent', agent: 'codex', process: { pid: 42, startTicks: 7, bootId: 'b' }, user: 'alice' };
const alive = (): boolean => false;
const gone = (): boolean => true;

test('the ownership rule, row by row', () => {
  assert.deepEqual(checkOwnership(null, me, {}, alive), { allowed: true, forcedOver: null }, 'no owner recorded');
  assert.deepEqual(checkOwnership({ ...me }, me, {}, alive), { allowed: true, forcedOver: null }, 'the same session');
  assert.deepEqual(checkOwnership(agent, me, {}, gone), { allowed: true, forcedOver: null }, 'a session that is gone');
  assert.deepEqual(checkOwnership(agent, me, {}, alive), { allowed: false, reason: 'other_session', owner: agent }, 'another live session');
  assert.deepEqual(checkOwnership(agent, me, { force: true }, alive), { allowed: true, forcedOver: agent }, 'with force: allowed, and who was overridden');
  const bob = { ...agent, user: 'bob' };
  for (const [force, isGone] of [[false, alive], [true, alive], [true, gone]] as const) {
    assert.deepEqual(checkOwnership(bob, me, { force }, isGone), { allowed: false, reason: 'other_user', owner: bob }, 'another user: never');
  }
});

test('the refusal names the owner, its agent and how long it has run, exit 3', () => {
  const now = Date.parse('2025-01-01T00:10:00Z');
  assert.throws(
    () => assertOwnership({ name: 'web', owner: agent, startedAt: now - 300_000 }, me, {}, { action: 'stop', command: 'berth stop web --force' }, now, alive),
    (err: unknown) => {
      assert.ok(err instanceof OwnedElsewhereError);
      assert.equal(err.code, 'owned_elsewhere');
      assert.equal(err.exitCode, 3);
      assert.equal(err.message, 'will not stop "web": it belongs to session codex:42:7 (agent codex), which is still alive, running for 5m');
      assert.equal(err.hint, 'ask its owner, or if you are sure: berth stop web --force (the override is recorded)');
      assert.deepEqual(err.details, { service: 'web', action: 'stop', reason: 'other_session', owner: 'codex:42:7', agent: 'codex', user: 'alice', uptimeMs: 300_000 });
      return true;
    },
  );
  // BERTH_SESSION owners have no process, so they are never gone: isOwnerGone's default keeps them
  assert.throws(() => assertOwnership({ name: 'web', owner: { session: 'agent-b', source: 'env', user: 'alice' }, startedAt: null }, me, {}, { action: 'rm', command: 'berth rm web --force' }), OwnedElsewhereError);
});
