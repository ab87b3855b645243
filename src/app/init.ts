// `berth init`: tells an agent, in the instructions file it reads, how to work on a shared
// machine with berth, and how to register berth's MCP server. Idempotent: a marked block is
// added once and replaced only if its text changed. Which file: CLAUDE.md when run from a
// Claude Code session (it reads that one), else AGENTS.md; --agent says otherwise, and the
// result says which was chosen and why.
import { existsSync, writeFileSync } from 'node:fs';
import { readBoundedText } from '../core/bounded-read.ts';
import { join } from 'node:path';
import { UsageError } from '../core/errors.ts';
import { detectOwner } from '../core/owner.ts';

export type AgentKind = 'claude' | 'codex' | 'cursor' | 'generic';

const BEGIN = '<!-- berth:begin (managed by `berth init`; edit outside this block) -->';
const END = '<!-- berth:end -->';

export const INSTRUCTIONS = `## Long-running processes on this machine: use berth

This machine is shared by several agents and people. Never start servers with \`&\`, \`nohup\`
or \`setsid\`, never guess ports, and never \`kill\`, \`pkill\`, \`killall\` or \`fuser -k\` by name
or port: use berth (also available as MCP tools named \`berth\`).

- Start or reuse a server: \`berth run NAME --port auto -- CMD\` ($PORT is its port). Running it
  again gives the same server, not a second one: do that after a context reset.
- A port for something: \`berth port NAME\` (the same one every time, never one in use).
- What runs, and why it crashed: \`berth ps\`, \`berth logs NAME\`, \`berth doctor\`.
- A port or file is taken: \`berth who PORT|PATH\` says who holds it; \`berth free PORT|PATH\`
  stops it safely (it refuses another session's service unless \`--force\`).
- Done with a server: \`berth stop NAME\` (or \`berth stop --mine\`).
- A project with a berth.yaml: \`berth up\` / \`berth down\`.`;

export const INSTRUCTION_FILES: Record<AgentKind, string> = { claude: 'CLAUDE.md', codex: 'AGENTS.md', cursor: 'AGENTS.md', generic: 'AGENTS.md' };

export function parseAgent(text: string | undefined): AgentKind {
  const agent = text ?? 'generic';
  if (agent === 'claude' || agent === 'codex' || agent === 'cursor' || agent === 'generic') return agent;
  throw new UsageError(`unknown agent ${JSON.stringify(agent)}`, 'use claude, codex, cursor or generic', 'invalid_agent');
}

/** The agent whose instructions file init writes, and why: --agent, else a Claude Code session found, else generic. */
export function chooseAgent(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, pid = process.pid): { agent: AgentKind; reason: string } {
  if (flag !== undefined) return { agent: parseAgent(flag), reason: `--agent ${flag}` };
  // Claude Code sets CLAUDECODE=1 for the commands it runs
  if (env.CLAUDECODE === '1') return { agent: 'claude', reason: 'run from a Claude Code session (CLAUDECODE=1)' };
  // else a claude process among the ancestors (BERTH_SESSION is ignored: it names a session, not the agent)
  const owner = detectOwner(pid, {});
  if (owner.source === 'agent' && owner.agent === 'claude') return { agent: 'claude', reason: `run from a Claude Code session (claude, pid ${owner.process?.pid})` };
  return { agent: 'generic', reason: 'not run from a Claude Code session (pass --agent claude for CLAUDE.md)' };
}

export interface InitResult {
  agent: AgentKind;
  /** why this agent's file: the --agent flag, or what was found of the session */
  reason: string;
  file: string;
  /** created the file, added the block, updated an outdated block, or left it as it was */
  change: 'created' | 'added' | 'updated' | 'unchanged';
  register: string[];
}

const MAX_INSTRUCTIONS_BYTES = 8 * 1024 * 1024;

export function installInstructions(dir: string, agent: AgentKind, reason = `--agent ${agent}`): InitResult {
  const file = join(dir, INSTRUCTION_FILES[agent]);
  const block = `${BEGIN}\n${INSTRUCTIONS}\n${END}\n`;
  let change: InitResult['change'];
  if (!existsSync(file)) {
    writeFileSync(file, block);
    change = 'created';
  } else {
    // an instructions file is prose; 8 MiB is far beyond any real one, and bounds a hostile one
    const text = readBoundedText(file, MAX_INSTRUCTIONS_BYTES);
    const start = text.indexOf(BEGIN);
    const end = text.indexOf(END, start);
    if (start < 0 || end < 0) {
      writeFileSync(file, `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}\n${block}`);
      change = 'added';
    } else {
      const next = text.slice(0, start) + block.trimEnd() + text.slice(end + END.length);
      change = next === text ? 'unchanged' : 'updated';
      if (change === 'updated') writeFileSync(file, next);
    }
  }
  return { agent, reason, file, change, register: registration(agent) };
}

/** How to register berth's MCP server (and, for Claude Code, the guard hook) with an agent. */
export function registration(agent: AgentKind): string[] {
  switch (agent) {
    case 'claude':
      return [
        'claude mcp add berth -- berth mcp',
        'optional guard hook, in .claude/settings.json: {"hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"berth guard"}]}]}}',
      ];
    case 'codex':
      return ['codex mcp add berth -- berth mcp', 'or in ~/.codex/config.toml: [mcp_servers.berth] command = "berth" args = ["mcp"]'];
    case 'cursor':
      return ['in .cursor/mcp.json: {"mcpServers":{"berth":{"command":"berth","args":["mcp"]}}}'];
    default:
      return ['register an MCP stdio server named "berth" with command "berth" and arguments ["mcp"]'];
  }
}
