// Hints are written once, as CLI commands, and rendered per door: an agent on MCP is told the
// tool call, never a shell command, and never a mix of both.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorDocument, renderHint } from '../../src/app/errors.ts';
import { RateTimeoutError } from '../../src/core/rate/bucket.ts';
import { PortMismatchError } from '../../src/core/supervisor/errors.ts';

test('hints through MCP name tool calls only', () => {
  const cases: Array<[string, string]> = [
    ['berth stop NAME | berth stop --mine | berth stop --session S', 'the stop {"name":"NAME"} tool call | the stop {"mine":true} tool call | the stop {"session":"S"} tool call'],
    ['to reserve a port: berth port --reserve NAME PORT', 'to reserve a port: the port {"name":"NAME","port":PORT,"reserve":true} tool call'],
    ['see berth logs web', 'see the logs {"name":"web"} tool call'],
    ['if you are sure: berth stop web --force (the override is recorded)', 'if you are sure: the stop {"name":"web","force":true} tool call (the override is recorded)'],
    ['if you are sure: berth up --force, or berth run web --force with the command', 'if you are sure: the up {"force":true} tool call, or the run {"name":"web","force":true} tool call with the command'],
    ['if you are sure: berth free 8080 --force', 'if you are sure: the free {"target":"8080","force":true} tool call'],
    ['see: berth free 8080 (or berth who 8080)', 'see: the free {"target":"8080"} tool call (or the who {"target":"8080"} tool call)'],
  ];
  for (const [cli, mcp] of cases) {
    assert.equal(renderHint(cli, 'cli'), cli);
    assert.equal(renderHint(cli, 'mcp'), mcp);
    assert.doesNotMatch(renderHint(cli, 'mcp'), /\bberth /);
  }
});

test('port_mismatch through MCP: the argument port_from_listener, and no shell advice (trial #6)', () => {
  const mismatch = { expected: 41000, listening: [8000], leaderListens: true, line: null };
  for (const argv of [['python3', '-m', 'http.server'], ['python3', '-m', 'http.server', '8000'], ['node', 'srv.js', '--port', '$PORT']]) {
    const err = new PortMismatchError('web', mismatch, argv, []);
    const cli = errorDocument(err, 'cli').hint!;
    const mcp = errorDocument(err, 'mcp').hint!;
    assert.match(cli, /--port-from-listener/);
    assert.match(mcp, /the argument port_from_listener: true/, mcp);
    assert.doesNotMatch(mcp, /--port-from-listener|single quotes|sh -c|your shell/, mcp);
  }
});

test('rate_timeout through MCP says timeout_seconds, not --timeout', () => {
  const err = new RateTimeoutError('api', { count: 1, periodMs: 60_000, burst: 1 }, 30_000, 1000);
  assert.match(errorDocument(err, 'cli').hint!, /a longer --timeout/);
  const mcp = errorDocument(err, 'mcp').hint!;
  assert.match(mcp, /a longer timeout_seconds/, mcp);
  assert.doesNotMatch(mcp, /--timeout/, mcp);
});
