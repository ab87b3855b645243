// berth guard: a Claude Code PreToolUse hook. Reads the hook's JSON on stdin; for a shell
// command that starts a server in the background by hand or kills broadly, exits 2 with the
// reason (naming the berth command to use) on stderr, which blocks the call; else exits 0.
import type { Context } from '../context.ts';
import { BerthError, EXIT } from '../../core/errors.ts';
import { judgeShellCommand } from '../../app/tools.ts';

/** Exit 2 is what Claude Code's hook contract means by "block, and tell the model why". */
const BLOCK_EXIT = 2;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function run(ctx: Context, opts: { command?: string }): Promise<number> {
  let command = opts.command;
  if (command === undefined) {
    let payload: { tool_name?: string; tool_input?: { command?: unknown } };
    try {
      payload = JSON.parse(await readStdin()) as typeof payload;
    } catch {
      // Exit 1, not 2: for a hook, 2 means "block", and a broken payload must not block work.
      throw new BerthError('invalid_payload', 'stdin is not a hook payload (JSON with tool_input.command)', {
        hint: 'see docs/agents.md for the hook configuration, or pass --command "…"',
        exitCode: EXIT.failure,
      });
    }
    if (payload.tool_name !== undefined && payload.tool_name !== 'Bash') return 0;
    if (typeof payload.tool_input?.command !== 'string') return 0;
    command = payload.tool_input.command;
  }
  const verdict = judgeShellCommand(command);
  if (ctx.json) ctx.out.json(verdict);
  if (verdict.allow) return 0;
  ctx.out.note(`berth guard: blocked: ${verdict.reason}`);
  return BLOCK_EXIT;
}
