// The session-lifetime rule (src/core/supervisor/lifetime.ts): which services end with their
// session by default, and which are reapable once sessions are gone. The owner watch and
// `berth gc` both use reapableServices, so these cases hold for both.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadProject } from '../../src/core/config/load.ts';
import type { Owner } from '../../src/core/owner.ts';
import { endsWithSession, lifetimeOf, reapableServices, watchedOwners } from '../../src/core/supervisor/lifetime.ts';
import type { ServiceRecord } from '../../src/core/supervisor/store.ts';
import { testSpec } from '../helpers/spec.ts';

const agent = (pid: number): Owner => ({ session: `claude:${pid}:1`, source: 'agent', agent: 'claude', process: { pid, startTicks: 1, bootId: 'b' }, user: 'u' });
const terminal: Owner = { session: 'session:300:1', source: 'terminal', process: { pid: 300, startTicks: 1, bootId: 'b' }, user: 'u' };
const env: Owner = { session: 'ci-run', source: 'env', user: 'u' };

function rec(name: string, owner: Owner | null, ephemeral: boolean, state: ServiceRecord['state'] = 'running'): ServiceRecord {
  return { spec: testSpec({ name, ephemeral }), state, identity: { pid: 1000, startTicks: 1, bootId: 'b' }, instance: 'm', port: null, owner, restarts: 0, lastExit: null, env: {}, startedAt: 0, healthySince: 0, detail: null, createdAt: 0 };
}

test('the default lifetime: an agent session\'s run ends with it, a terminal\'s and a BERTH_SESSION\'s do not', () => {
  assert.equal(endsWithSession(agent(1), {}), true);
  assert.equal(endsWithSession(agent(1), { keep: true }), false);
  assert.equal(endsWithSession(agent(1), { ephemeral: true }), true, '--ephemeral is an alias of the default');
  assert.equal(endsWithSession(terminal, {}), false);
  assert.equal(endsWithSession(terminal, { untilSessionEnds: true }), true);
  assert.equal(endsWithSession(terminal, { ephemeral: true }), true, 'from a terminal, --ephemeral means --until-session-ends');
  assert.equal(endsWithSession(env, {}), false);
  assert.throws(() => endsWithSession(agent(1), { keep: true, untilSessionEnds: true }), { code: 'invalid_lifetime' });
  assert.equal(lifetimeOf({ ephemeral: true }), 'session');
  assert.equal(lifetimeOf({ ephemeral: false }), 'keep');
});

test('reapable: session-scoped, running or retrying, and its owner session gone; one check per session', () => {
  const records = [
    rec('p/a', agent(1), true),
    rec('p/b', agent(1), true, 'backoff'),
    rec('p/kept', agent(1), false),
    rec('p/stopped', agent(1), true, 'stopped'),
    rec('p/stopping', agent(1), true, 'stopping'),
    rec('p/live', agent(2), true),
    rec('p/env', env, true),
    rec('p/none', null, true),
  ];
  const asked: string[] = [];
  const gone = (o: Owner): boolean => {
    asked.push(o.session);
    return o.session === 'claude:1:1';
  };
  assert.deepEqual(reapableServices(records, gone).map((r) => r.spec.name), ['p/a', 'p/b']);
  assert.deepEqual(asked, ['claude:1:1', 'claude:2:1'], 'each session is checked once; a BERTH_SESSION owner (no process) never');
  assert.deepEqual([...watchedOwners(records).keys()], ['claude:1:1', 'claude:2:1']);
});

test('berth.yaml: services are kept unless keep: false; ephemeral: true is read as keep: false; a contradiction is refused', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-keep-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'berth.yaml'), 'services:\n  a:\n    run: sleep 1\n  b:\n    run: sleep 1\n    keep: false\n  c:\n    run: sleep 1\n    keep: true\n  d:\n    run: sleep 1\n    ephemeral: true\n');
  const specs = loadProject(dir).services;
  assert.deepEqual(['a', 'b', 'c', 'd'].map((n) => lifetimeOf(specs.get(n)!.spec)), ['keep', 'session', 'keep', 'session']);
  writeFileSync(join(dir, 'berth.yaml'), 'services:\n  a:\n    run: sleep 1\n    keep: true\n    ephemeral: true\n');
  assert.throws(() => loadProject(dir), (err: Error & { code?: string }) => err.code === 'config_invalid' && /keep: true contradicts ephemeral: true/.test(err.message));
});
