// `berth mcp` fed hostile and random lines on stdin: each is answered per JSON-RPC (-32700 for
// what is not JSON, -32600 for what is not a request, an error for a line over the limit) or
// ignored when it is a notification, problems are logged to stderr, stdout carries only
// protocol, and the server stays up for the next line. Before, a line over 10 MiB ended the
// server (exit 0, nothing on stderr) and malformed lines got no answer at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { countHostile } from '../helpers/adversarial.ts';
import { CLI } from '../helpers/cli.ts';
import { tempHome } from '../helpers/home.ts';
import { start } from '../helpers/procs.ts';
import { waitFor } from '../helpers/wait.ts';

type Message = { jsonrpc?: string; id?: string | number | null; result?: any; error?: { code: number; message: string } };

test('MCP stdio: malformed, invalid, over-long and random lines are answered, and the server stays up', async (t) => {
  const { env } = tempHome(t);
  const mcp = start(t, process.execPath, [CLI, 'mcp'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  mcp.child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  mcp.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const messages = (): Message[] => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Message);
  const send = (line: string | Buffer): boolean => mcp.child.stdin!.write(line);
  const answer = (id: string | number): Promise<Message> => waitFor(() => messages().find((m) => m.id === id), { timeoutMs: 15_000, what: `an answer to ${id}; stderr:\n${stderr}` });

  send(`${JSON.stringify({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } } })}\n`);
  await answer('init');
  send(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);

  // lines that must each get exactly one error answer with id null
  const malformed = ['{bad', '[1, 2', 'nul', '"just a string', '{"jsonrpc":"2.0","id":1,', '\u0000\u0001\u0002', '}{'];
  const invalid = ['[]', '[1]', '42', '"text"', 'null', 'true', '{}', '{"jsonrpc":"1.0","method":"ping","id":"x"}', '{"jsonrpc":"2.0","method":7}', '{"id":{"a":1},"method":"ping","jsonrpc":"2.0"}'];
  // random lines: anything without a newline; whatever they are, one answer at most each
  const random = fc.sample(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v))), { numRuns: 200, seed: 20260110 }).map((s) => s.replace(/[\r\n]/g, ' '));
  // requests with hostile params: answered with an error result or a typed tool error, never a crash
  const calls = [
    { name: 'who', arguments: { target: '' } },
    { name: 'who', arguments: { target: 'a\u0000b' } },
    { name: 'who', arguments: { target: 7 } },
    { name: 'port', arguments: { name: 'web', ttl: '99999999999999999999999d' } },
    { name: 'port', arguments: { name: 'we\u001bb' } },
    { name: 'events', arguments: { limit: 1e30 } },
    { name: 'logs', arguments: { name: '../../etc/passwd' } },
    { name: 'nope', arguments: {} },
    { name: 'free', arguments: { target: '' } },
  ];
  countHostile(t, malformed.length + invalid.length + random.length + calls.length + 2, 'MCP lines: malformed JSON, invalid requests, random, hostile tool arguments, 2 over-long lines');

  for (const line of [...malformed, ...invalid]) send(`${line}\n`);
  // a line of 12 MiB, sent in pieces, then a line of 5 MiB in one write: each answered once, then discarded
  const mib = Buffer.alloc(1024 * 1024, 'a');
  for (let i = 0; i < 12; i++) if (!send(mib)) await new Promise((r) => mcp.child.stdin!.once('drain', r));
  send('\n');
  send(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":"big","method":"ping","params":{"x":"'), Buffer.alloc(5 * 1024 * 1024, 'b'), Buffer.from('"}}\n')]));
  for (const line of random) send(`${line}\n`);
  calls.forEach((params, i) => send(`${JSON.stringify({ jsonrpc: '2.0', id: `call${i}`, method: 'tools/call', params })}\n`));
  send(`${JSON.stringify({ jsonrpc: '2.0', id: 'last', method: 'ping' })}\n`);

  assert.deepEqual((await answer('last')).result, {}, 'the server is still up after everything');
  for (let i = 0; i < calls.length; i++) {
    const a = await answer(`call${i}`);
    assert.ok(a.error !== undefined || a.result?.isError === true, `call ${JSON.stringify(calls[i])} is refused: ${JSON.stringify(a)}`);
    if (a.result?.isError) {
      // berth's errors carry their document in _meta (the SDK's own input validation has none)
      assert.notEqual(a.result._meta?.['berth/error']?.code, 'internal', `a typed error, not a bug: ${JSON.stringify(a)}`);
    }
  }
  const all = messages();
  for (const m of all) assert.equal(m.jsonrpc, '2.0', `stdout carries only JSON-RPC: ${JSON.stringify(m)}`);
  const nullErrors = all.filter((m) => m.id === null && m.error);
  const parseErrors = nullErrors.filter((m) => m.error!.code === -32700).length;
  const tooLarge = nullErrors.filter((m) => /too large/.test(m.error!.message)).length;
  assert.ok(parseErrors >= malformed.length, `each malformed line answered -32700 (${parseErrors} of ${malformed.length})`);
  assert.equal(tooLarge, 2, 'each over-long line answered once');
  assert.ok(nullErrors.filter((m) => m.error!.code === -32600).length >= invalid.length - 1, 'invalid requests answered -32600');
  assert.ok(!all.some((m) => m.id === 'big' && m.result), 'the over-long request was not executed');
  // every line got at most one answer: no more answers than lines sent
  assert.ok(all.length <= 3 + malformed.length + invalid.length + 2 + random.length + calls.length, `${all.length} answers`);
  assert.match(stderr, /berth mcp: a line is not JSON/);
  assert.match(stderr, /berth mcp: a line over the limit was discarded/);
  assert.equal(mcp.status(), undefined, 'still running');

  // closing stdin ends it cleanly
  mcp.child.stdin!.end();
  const exit = await mcp.exited;
  assert.equal(exit.code, 0, stderr);
});
