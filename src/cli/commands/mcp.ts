// berth mcp: the MCP server on stdio (nothing but protocol on stdout).
import { packageVersion } from '../../app/input.ts';
import type { Context } from '../context.ts';
import { serveStdio } from '../../mcp/server.ts';

export async function run(_ctx: Context): Promise<number> {
  await serveStdio(packageVersion());
  return 0;
}
