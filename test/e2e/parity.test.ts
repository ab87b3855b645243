// One path for every verb: the same input through the CLI (--json) and through MCP (the SDK's
// client over stdio) gives the same document, or the same error code. What must differ is
// normalised away: times, and the process that asked.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CONTRACT, type ContractName } from '../../src/app/contract.ts';
import { berth } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { connectMcp, type McpResult as Result } from '../helpers/mcp.ts';
import { tempDir } from '../helpers/home.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const node = process.execPath;

// times, and what depends on the process that asked or on when it asked
const VOLATILE = new Set(['at', 'createdAt', 'renewedAt', 'expiresAt', 'startedAt', 'acquiredAt', 'uptimeMs', 'readyMs', 'rssBytes']);

function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (VOLATILE.has(k)) continue;
    out[k] = k === 'owner' && v !== null && typeof v === 'object' ? normalise({ ...(v as object), process: undefined }) : normalise(v);
  }
  return JSON.parse(JSON.stringify(out));
}

test('every verb gives the same document and the same error code through the CLI and MCP', async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  writeFileSync(join(dir, 'berth.yaml'), `services:\n  api:\n    run: [${node}, ${SERVICE}, --http]\n    port: auto\n`);
  writeFileSync(join(dir, 'data.txt'), 'x');
  const mcp = await connectMcp(t, env, { cwd: dir });

  // every tool has an outputSchema; the SDK client checks each result against it
  const { tools } = await mcp.listTools();
  assert.deepEqual(
    tools.map((x) => x.name).sort(),
    ['adopt', 'daemon_status', 'doctor', 'down', 'events', 'free', 'gc', 'lock', 'locks', 'logs', 'orphans', 'port', 'ports', 'ps', 'rate_take', 'restart', 'rm', 'run', 'schema', 'slots', 'stop', 'up', 'who'],
  );
  for (const tool of tools) {
    assert.equal(tool.outputSchema?.type, 'object', `${tool.name} has an outputSchema`);
    assert.match(tool.description ?? '', /\b[Uu]se this\b|only the CLI/, `${tool.name}'s description says when to use it`);
  }

  const cli = async (args: string[]): Promise<{ code: number; doc: any }> => {
    const r = await berth([args[0]!, '--json', ...args.slice(1)], { env, cwd: dir });
    return { code: r.code, doc: r.json() };
  };
  const call = async (name: string, args: Record<string, unknown> = {}): Promise<Result> => (await mcp.callTool({ name, arguments: args })) as Result;

  /** The same valid request both ways: the same document, and it is the contract's. */
  const same = async (contract: ContractName | [cli: ContractName, mcp: ContractName], args: string[], tool: string, input: Record<string, unknown>, pick: (doc: any) => unknown = (d) => d): Promise<any> => {
    const a = await cli(args);
    assert.equal(a.code, 0, `berth ${args.join(' ')}: ${JSON.stringify(a.doc)}`);
    const b = await call(tool, input);
    assert.ok(!b.isError, `${tool} ${JSON.stringify(input)}: ${JSON.stringify(b)}`);
    const [forCli, forMcp] = typeof contract === 'string' ? [contract, contract] : contract;
    for (const [name, doc] of [[forCli, a.doc], [forMcp, b.structuredContent]] as const) {
      const parsed = CONTRACT[name].safeParse(doc);
      assert.ok(parsed.success, `${name}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`);
    }
    assert.deepEqual(normalise(pick(b.structuredContent)), normalise(pick(a.doc)), `berth ${args.join(' ')} and ${tool} ${JSON.stringify(input)} differ`);
    return a.doc;
  };
  /** The same invalid request both ways: the same error code. */
  const refused = async (code: string, args: string[], tool: string, input: Record<string, unknown>): Promise<Result> => {
    const a = await cli(args);
    assert.notEqual(a.code, 0);
    assert.equal(a.doc.error.code, code, `berth ${args.join(' ')}: ${JSON.stringify(a.doc)}`);
    const b = await call(tool, input);
    assert.equal(b.isError, true, `${tool} ${JSON.stringify(input)}: ${JSON.stringify(b)}`);
    const error = b._meta?.['berth/error'];
    assert.equal(error?.code, code, `${tool} ${JSON.stringify(input)}: ${JSON.stringify(b)}`);
    assert.equal(b.structuredContent, undefined, 'no structured content: clients check it against the outputSchema');
    assert.ok(CONTRACT.error.safeParse({ error }).success);
    assert.ok(b.content[0]!.text!.startsWith(`error ${code}: ${error.message}`), b.content[0]!.text);
    if (error.hint) assert.ok(b.content[0]!.text!.includes(`hint: ${error.hint}`), 'the text carries the hint');
    return b;
  };

  // ports: a lease (after a first call that creates it), a reservation, the claims
  await cli(['port', 'web', '--ttl', '1h']);
  await same('port', ['port', 'web', '--ttl', '1h'], 'port', { name: 'web', ttl: '1h' }, (d) => ({ ...d }));
  const svcArgv = [node, SERVICE, '--http'];
  const started = await cli(['run', 'svc', '--port', 'auto', '--', ...svcArgv]);
  assert.equal(started.code, 0, JSON.stringify(started.doc));
  const port = started.doc.service.port as number;
  await cli(['port', '--reserve', 'hook', String(port + 1)]);
  await same('port', ['port', '--reserve', 'hook', String(port + 1)], 'port', { name: 'hook', reserve: true, port: port + 1 });
  await same('ports', ['ports'], 'ports', {}, (d) => ({ claims: d.claims, conflicts: d.conflicts }));

  // services
  await same('run', ['run', 'svc', '--port', 'auto', '--', ...svcArgv], 'run', { name: 'svc', command: svcArgv, port: 'auto' });
  await same('ps', ['ps'], 'ps', {});
  await same('ps', ['ps', '--all', '--mine'], 'ps', { all: true, mine: true });
  const one = await same('ps', ['ps', 'svc'], 'ps', { name: 'svc' });
  assert.deepEqual(one.services.map((s: { name: string }) => s.name), ['svc']);
  await same('logs', ['logs', 'svc', '-n', '5'], 'logs', { name: 'svc', lines: 5 });
  await same('who-port', ['who', String(port)], 'who', { target: String(port) }, (d) => ({ ...d, unreadable: 0 }));
  await same('who-path', ['who', join(dir, 'data.txt')], 'who', { target: join(dir, 'data.txt') }, (d) => ({ ...d, unreadable: 0 }));
  await same('events', ['events', '-n', '4'], 'events', { limit: 4 });
  await same('locks', ['locks'], 'locks', {}, (d) => d.named);
  await same(['locks', 'lock-holders'], ['locks'], 'lock', {}, (d) => d.named);
  // a token taken through either door is the same document, bar its wait and time
  await same('rate-take', ['rate', 'parity', '--limit', '1000/s', '--burst', '100', '--take'], 'rate_take', { name: 'parity', limit: '1000/s', burst: 100 }, (d) => ({ name: d.name, limit: d.limit, burst: d.burst }));
  await same(['locks', 'slots'], ['locks'], 'slots', {}, (d) => ({ slots: d.slots, buckets: d.buckets.map((b: { name: string; limit: string }) => [b.name, b.limit]) }));
  await same('daemon-status', ['daemon', 'status'], 'daemon_status', {});
  await same('gc', ['gc', '--dry-run'], 'gc', { dry_run: true });
  await same('doctor', ['doctor'], 'doctor', { dir });
  await same('free', ['free', String(port + 2)], 'free', { target: String(port + 2) });
  await cli(['up']);
  await same('up', ['up'], 'up', { dir });
  const schema = await cli(['schema']);
  assert.deepEqual((await call('schema')).structuredContent, schema.doc);

  // errors: the same code through both doors, and hints that name the tool on MCP
  const unknown = await refused('not_found', ['ps', 'nosuch'], 'ps', { name: 'nosuch' });
  assert.match(unknown.content[0]!.text!, /hint: list them with: the ps \{"all":true\} tool call/);
  await refused('not_found', ['logs', 'nosuch'], 'logs', { name: 'nosuch' });
  await refused('not_found', ['stop', 'nosuch'], 'stop', { name: 'nosuch' });
  await refused('not_found', ['restart', 'nosuch'], 'restart', { name: 'nosuch' });
  await refused('not_found', ['rm', 'nosuch'], 'rm', { name: 'nosuch' });
  // adopt: a stale pidfile (its pid is gone), pid 1
  writeFileSync(join(dir, 'stale.pid'), '999999999\n');
  await refused('pidfile_stale', ['adopt', 'old', '--pidfile', 'stale.pid'], 'adopt', { name: 'old', pidfile: 'stale.pid' });
  await refused('adopt_refused', ['adopt', 'init', '--pid', '1'], 'adopt', { name: 'init', pid: 1 });
  await refused('invalid_name', ['run', 'bad name', '--', 'true'], 'run', { name: 'bad name', command: ['true'] });
  const split = await refused('command_not_split', ['run', 'x', '--', 'node server.js'], 'run', { name: 'x', command: ['node server.js'] });
  assert.match(split.content[0]!.text!, /the run \{"name":"x","command":\["node","server.js"\]\} tool call/);
  await refused('usage', ['port', 'web', '--reserve'], 'port', { name: 'web', reserve: true });
  await refused('usage', ['port', 'web', '--reserve', '--ttl', '1h', String(port + 3)], 'port', { name: 'web', reserve: port + 3, ttl: '1h' });
  await refused('usage', ['port', 'web', '--reserve', '--release'], 'port', { name: 'web', reserve: true, release: true });
  await refused('invalid_duration', ['events', '--since', 'yesterday'], 'events', { since: 'yesterday' });
  await refused('invalid_count', ['events', '-n', '0'], 'events', { limit: 0 });
  await refused('invalid_port', ['who', '70000'], 'who', { target: '70000' });
  await refused('path_not_found', ['free', join(dir, 'nope')], 'free', { target: join(dir, 'nope') });
  await refused('invalid_lines', ['logs', 'svc', '-n', '-1'], 'logs', { name: 'svc', lines: -1 });
  // a service that exits during start: the text an agent reads carries its last log lines
  const crash = await refused('service_exited', ['run', 'crash', '--restart', 'never', '--', node, SERVICE, '--exit', '3'], 'run', { name: 'crash', command: [node, SERVICE, '--exit', '3'], restart: 'never' });
  assert.match(crash.content[0]!.text!, /--- last \d+ log lines ---\n(.*\n)*pid \d+/);
  assert.match(crash.content[0]!.text!, /hint: see the logs \{"name":"(?:[^"/]+\/)?crash"\} tool call/);

  // stopping, the same both ways once stopped; then the whole session
  await cli(['stop', 'svc']);
  await same('stop', ['stop', 'svc'], 'stop', { name: 'svc' });
  await cli(['stop', '--mine']);
  await same('stop-session', ['stop', '--mine'], 'stop', { mine: true });
  await same('down', ['down'], 'down', { dir });
});

test('CLI defects: ps NAME, a command in one quoted word, a command without --', async (t) => {
  const { env } = daemonHome(t);
  const dir = tempDir(t);
  const started = await berth(['run', 'one', '--json', '--', node, SERVICE], { env, cwd: dir });
  assert.equal(started.code, 0, started.toString());
  const ps = await berth(['ps', 'one', '--json'], { env });
  assert.equal(ps.code, 0, ps.toString());
  assert.deepEqual(ps.json().services.map((s: { name: string }) => s.name), ['one']);
  const unknown = await berth(['ps', 'nosuch'], { env });
  assert.equal(unknown.code, 4, unknown.toString());

  // one quoted argument with spaces that is no program: refused, with the split form, and
  // nothing recorded or leased for it
  const quoted = await berth(['run', 'x', '--port', 'auto', '--', 'node server.js'], { env, cwd: dir });
  assert.equal(quoted.code, 2, quoted.toString());
  assert.match(quoted.stderr, /"node server\.js" is one argument with spaces/);
  assert.match(quoted.stderr, /hint: .*berth run x -- node server\.js/);
  const all = await berth(['ps', '--all', '--json'], { env });
  assert.deepEqual(all.json().services.map((s: { name: string }) => s.name), ['one'], 'no failed record');
  const ports = await berth(['ports', '--json'], { env });
  assert.deepEqual(ports.json().claims.map((c: { name: string }) => c.name), [], 'no lease');

  // a command with options of its own, without --: says to put -- before it, and where
  const dashes = await berth(['run', 'y', '--port', 'auto', 'python3', '-m', 'http.server'], { env, cwd: dir });
  assert.equal(dashes.code, 2, dashes.toString());
  assert.match(dashes.stderr, /hint: put -- before the command: berth run y --port auto -- python3 -m http\.server/);
});
