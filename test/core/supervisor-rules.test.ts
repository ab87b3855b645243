import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, backoffDelay } from '../../src/core/supervisor/backoff.ts';
import { parseEnvPairs, runChanges, sameService, type ServiceSpec, specChanges, validateSpec } from '../../src/core/supervisor/spec.ts';
import { InvalidTransitionError, SERVICE_STATES, transition } from '../../src/core/supervisor/state.ts';
import { UsageError } from '../../src/core/errors.ts';

test('backoff doubles from 200 ms to a 30 s cap, within ±20 % jitter', () => {
  const mid = (): number => 0.5;
  assert.deepEqual([1, 2, 3, 4].map((a) => backoffDelay(a, mid)), [200, 400, 800, 1600]);
  assert.equal(backoffDelay(20, mid), BACKOFF_MAX_MS);
  assert.equal(backoffDelay(1, () => 0), BACKOFF_MIN_MS * 0.8);
  assert.equal(backoffDelay(1, () => 1), BACKOFF_MIN_MS * 1.2);
  assert.ok(backoffDelay(99, () => 1) <= BACKOFF_MAX_MS * 1.2);
});

test('states are a closed set with transitions in one place', () => {
  assert.equal(SERVICE_STATES.length, 9);
  assert.equal(transition('starting', 'healthy'), 'healthy');
  assert.equal(transition('backoff', 'starting'), 'starting');
  assert.throws(() => transition('stopped', 'healthy'), InvalidTransitionError);
  assert.throws(() => transition('backoff', 'healthy'), InvalidTransitionError);
});

const spec: ServiceSpec = {
  name: 'web',
  argv: ['node', 'server.js'],
  cwd: '/srv',
  env: { A: '1' },
  port: { kind: 'auto' },
  health: null,
  restart: 'on-failure',
  maxRestarts: null,
  purpose: 'ui',
  ephemeral: false,
  onConflict: 'refuse',
  locks: [],
};

test('a spec is the same service unless a field a user sets changes; specChanges names them in berth.yaml\'s words', () => {
  assert.ok(sameService(spec, { ...spec, configFile: '/elsewhere/berth.yaml' }), 'where it was declared is not what it is');
  assert.ok(sameService(spec, { ...spec, purpose: 'other', restart: 'always' }), 'berth run again with fewer flags keeps it running');
  const declared = { ...spec, configFile: '/p/berth.yaml' };
  assert.deepEqual(runChanges(declared, { ...declared, restart: 'always', purpose: 'other' }), ['restart', 'purpose'], 'from berth.yaml every field counts');
  assert.deepEqual(runChanges(spec, { ...spec, restart: 'always', purpose: 'other' }), [], 'from berth run: not these');
  const changes: Array<[Partial<ServiceSpec>, string]> = [
    [{ argv: ['node', 'other.js'] }, 'run'],
    [{ cwd: '/tmp' }, 'cwd'],
    [{ env: { A: '2' } }, 'env'],
    [{ port: { kind: 'fixed' as const, port: 8080 } }, 'port'],
    [{ health: 'tcp:1' }, 'health'],
    [{ restart: 'always' }, 'restart'],
    [{ maxRestarts: 3 }, 'max_restarts'],
    [{ purpose: 'other' }, 'purpose'],
    [{ ephemeral: true }, 'keep'],
    [{ onConflict: 'evict' }, 'on_conflict'],
    [{ locks: ['/tmp/x.db'] }, 'locks'],
  ];
  for (const [change, field] of changes) {
    assert.deepEqual(specChanges(spec, { ...spec, ...change }), [field]);
  }
  assert.deepEqual(specChanges(spec, { ...spec, restart: 'never', purpose: 'x' }), ['restart', 'purpose']);
});

test('specs and --env pairs are validated', () => {
  assert.deepEqual(parseEnvPairs(['A=1', 'B=x=y', 'C=']), { A: '1', B: 'x=y', C: '' });
  for (const bad of ['=1', 'A', '1A=2', 'A-B=1']) assert.throws(() => parseEnvPairs([bad]), UsageError, bad);
  assert.throws(() => validateSpec({ ...spec, argv: [] }), UsageError);
  assert.throws(() => validateSpec({ ...spec, health: 'ftp://x' }), UsageError);
  assert.throws(() => validateSpec({ ...spec, name: 'a b' }), UsageError);
});
