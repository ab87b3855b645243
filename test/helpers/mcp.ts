// An MCP client on `berth mcp` over stdio (the SDK's own client), closed when the test ends:
// the tests that drive berth as an agent's MCP client would.
import type { TestContext } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI } from './cli.ts';

/** What a tools/call answers, as the tests read it. */
export type McpResult = { isError?: boolean; structuredContent?: any; _meta?: any; content: Array<{ type: string; text?: string }> };

/** Starts `berth mcp` in env (and cwd, when given) and connects to it. */
export async function connectMcp(t: TestContext, env: NodeJS.ProcessEnv, opts: { cwd?: string } = {}): Promise<Client> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env: env as Record<string, string>, cwd: opts.cwd, stderr: 'pipe' });
  const client = new Client({ name: 'berth-test', version: '1.0.0' });
  await client.connect(transport);
  t.after(() => client.close());
  return client;
}
