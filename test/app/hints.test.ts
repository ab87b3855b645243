// Hints are written once, as CLI commands, and rendered per door: an agent on MCP is told the
// tool call, never a shell command, and never a mix of both.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderHint } from '../../src/app/errors.ts';

test('hints through MCP name tool calls only', () => {
  const cases: Array<[string, string]> = [
    ['berth stop NAME | berth stop --mine | berth stop --session S', 'the stop {"name":"NAME"} tool call | the stop {"mine":true} tool call | the stop {"session":"S"} tool call'],
    ['to reserve a port: berth port --reserve NAME PORT', 'to reserve a port: the port {"name":"NAME","port":PORT,"reserve":true} tool call'],
    ['see berth logs web', 'see the logs {"name":"web"} tool call'],
  ];
  for (const [cli, mcp] of cases) {
    assert.equal(renderHint(cli, 'cli'), cli);
    assert.equal(renderHint(cli, 'mcp'), mcp);
    assert.doesNotMatch(renderHint(cli, 'mcp'), /\bberth /);
  }
});
