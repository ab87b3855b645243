// berth mcp: the MCP server on stdio (nothing but protocol on stdout).
import { readFileSync } from 'node:fs';
import type { Context } from '../context.ts';
import { serveStdio } from '../../mcp/server.ts';

export async function run(_ctx: Context): Promise<number> {
  const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  await serveStdio(version);
  return 0;
}
