// berth init [--agent claude|codex|cursor|generic]
import type { Context } from '../context.ts';
import { chooseAgent, installInstructions } from '../../app/init.ts';

export function run(ctx: Context, opts: { agent?: string }): number {
  const chosen = chooseAgent(opts.agent);
  const result = installInstructions(process.cwd(), chosen.agent, chosen.reason);
  if (ctx.json) {
    ctx.out.json(result);
    return 0;
  }
  const said = { created: 'created', added: 'added berth\'s block to', updated: 'updated berth\'s block in', unchanged: 'berth\'s block is already in' }[result.change];
  ctx.out.line(`${said} ${result.file} (${result.reason})`);
  ctx.out.line('Register the MCP server:');
  for (const line of result.register) ctx.out.line(`  ${line}`);
  return 0;
}
