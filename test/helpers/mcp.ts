// An MCP client on `berth mcp` over stdio (the SDK's own client), closed when the test ends:
// the tests that drive berth as an agent's MCP client would.
import type { TestContext } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI } from './cli.ts';

/** What a tools/call answers, as the tests read it. */
export type McpResult = { isError?: boolean; structuredContent?: any; _meta?: any; content: Array<{ type: string; text?: string }> };

/**
 * Starts `berth mcp` in env (and cwd, when given) and connects to it. With `ownSession` the
 * server leads a session of its own (util-linux `setsid`), so that its owner is a live process
 * however the suite itself was started (CI may run it in a session whose leader is gone).
 */
export async function connectMcp(t: TestContext, env: NodeJS.ProcessEnv, opts: { cwd?: string; ownSession?: boolean } = {}): Promise<Client> {
  const argv = [process.execPath, CLI, 'mcp'];
  if (opts.ownSession) argv.unshift('setsid');
  const transport = new StdioClientTransport({ command: argv[0]!, args: argv.slice(1), env: env as Record<string, string>, cwd: opts.cwd, stderr: 'pipe' });
  const client = new Client({ name: 'berth-test', version: '1.0.0' });
  await client.connect(transport);
  t.after(() => client.close());
  return client;
}
