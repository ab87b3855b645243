// The CLI contract: exit codes, one-line errors, --json error documents, nothing changed on bad input.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { berth } from '../helpers/cli.ts';
import { tempHome } from '../helpers/home.ts';

test('--version, --help and per-verb help exit 0', async (t) => {
  const { env } = tempHome(t);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const v = await berth(['--version'], { env });
  assert.deepEqual([v.code, v.stdout.trim()], [0, pkg.version]);
  const help = await berth(['--help'], { env });
  assert.equal(help.code, 0);
  for (const verb of ['who', 'ports', 'port', 'lock', 'locks', 'events']) assert.match(help.stdout, new RegExp(`\\n  ${verb} `), verb);
  const verbHelp = await berth(['port', '--help'], { env });
  assert.equal(verbHelp.code, 0);
  assert.match(verbHelp.stdout, /--ttl <duration>/);
});

test('an unknown verb or flag is a one-line error with exit 2', async (t) => {
  const { env } = tempHome(t);
  for (const args of [['nosuch'], ['who', '--bogus', '80'], ['ports', 'extra'], ['port']]) {
    const r = await berth(args, { env });
    assert.equal(r.code, 2, r.toString());
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.toString());
  }
  const json = await berth(['nosuch', '--json'], { env });
  assert.equal(json.code, 2);
  assert.equal(json.json().error.code, 'usage');
});

test('bad ports, names, durations and paths: exit 2 with what to do, registry untouched', async (t) => {
  const { env, home } = tempHome(t);
  const lease = await berth(['port', 'keep', '--json'], { env });
  assert.equal(lease.code, 0, lease.toString());
  // The registry's content: the claims and the audit log (the host's listeners may change meanwhile).
  const snapshot = async (): Promise<string> =>
    JSON.stringify([(await berth(['ports', '--json'], { env })).json().claims, (await berth(['events', '--json'], { env })).json().events]);
  const before = await snapshot();
  const cases: Array<[string[], string]> = [
    [['who', '70000'], 'invalid_port'],
    [['who', '0'], 'invalid_port'],
    [['port', '--reserve', 'x', '65536'], 'invalid_port'],
    [['port', 'bad name'], 'invalid_name'],
    [['port', 'x'.repeat(65)], 'invalid_name'],
    [['port', 'web', '--ttl', 'soon'], 'invalid_duration'],
    [['lock', 'a/b', '--', 'true'], 'invalid_name'],
    [['lock', 'x', '--wait', 'forever', '--', 'true'], 'invalid_duration'],
    [['events', '--since', 'yesterday'], 'invalid_duration'],
    [['who', join(home, 'no', 'such', 'file')], 'path_not_found'],
  ];
  for (const [args, code] of cases) {
    const r = await berth([args[0]!, '--json', ...args.slice(1)], { env });
    assert.equal(r.code, 2, r.toString());
    const doc = r.json();
    assert.equal(doc.error.code, code, r.toString());
    assert.ok(doc.error.message.length > 0);
    const text = await berth(args, { env });
    assert.equal(text.code, 2);
    assert.match(text.stderr, /^berth: /);
  }
  assert.equal(await snapshot(), before, 'nothing changed');
});

test('an unwritable BERTH_HOME and a registry that is not SQLite: clear errors, file untouched', async (t) => {
  const { env, home } = tempHome(t);
  mkdirSync(home, { recursive: true });
  const asFile = join(home, 'a-file');
  writeFileSync(asFile, '');
  const unwritable = await berth(['port', 'web', '--json'], { env: { ...env, BERTH_HOME: join(asFile, 'home') } });
  assert.equal(unwritable.code, 2, unwritable.toString());
  assert.equal(unwritable.json().error.code, 'home_unwritable');

  const db = join(home, 'berth.db');
  writeFileSync(db, 'not sqlite '.repeat(200));
  const corrupt = await berth(['port', 'web'], { env });
  assert.equal(corrupt.code, 1, corrupt.toString());
  assert.match(corrupt.stderr, /is not a SQLite database/);
  assert.match(corrupt.stderr, /hint: .*mv /);
  assert.equal(readFileSync(db, 'utf8'), 'not sqlite '.repeat(200));
  const who = await berth(['events', '--json'], { env });
  assert.equal(who.json().error.code, 'registry_corrupt');
});

test('read-only questions do not create a registry', async (t) => {
  const { env, home } = tempHome(t);
  for (const args of [['ports'], ['locks'], ['events'], ['who', '1']]) {
    const r = await berth(args, { env });
    assert.equal(r.code, 0, r.toString());
  }
  assert.throws(() => readFileSync(join(home, 'berth.db')));
});

test('port: lease, renew, reserve, release, and their events', async (t) => {
  const { env } = tempHome(t);
  const first = await berth(['port', 'web'], { env });
  assert.equal(first.code, 0, first.toString());
  assert.match(first.stdout, /^\d+\n$/, 'plain output is the port alone');
  assert.equal((await berth(['port', 'web'], { env })).stdout, first.stdout, 'sticky');
  const renewed = (await berth(['port', 'web', '--ttl', '2h', '--json'], { env })).json();
  assert.equal(renewed.port, Number(first.stdout));
  assert.ok(Date.parse(renewed.expiresAt) > Date.now() + 3_500_000);
  const taken = await berth(['port', '--reserve', 'other', first.stdout.trim()], { env });
  assert.equal(taken.code, 3, taken.toString());
  assert.match(taken.stderr, /already held by "[^"/]+\/web"/);
  const release = await berth(['port', '--release', 'web'], { env });
  assert.equal(release.code, 0);
  const again = await berth(['port', '--release', 'web', '--json'], { env });
  assert.equal(again.code, 4);
  assert.equal(again.json().error.code, 'not_found');
  const events = (await berth(['events', '--json'], { env })).json().events.map((e: { verb: string; outcome: string }) => `${e.verb}:${e.outcome}`);
  assert.deepEqual(events, ['lease:ok', 'reserve:refused', 'release:ok']);
});
