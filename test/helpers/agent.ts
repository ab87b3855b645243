// A live stand-in agent session for tests (test/fixtures/agents/stand-in.mjs, argv[0] "claude"):
// berth commands run through it are owned by its session, background commands it starts
// outlive it when it is killed. Everything it started in the background is stopped by pid when
// the test ends, the agent itself too.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { CLI, type CliResult } from './cli.ts';
import { isRunning, stopPid } from './procs.ts';
import { waitFor } from './wait.ts';

const STAND_IN = fileURLToPath(new URL('../fixtures/agents/stand-in.mjs', import.meta.url));

export interface StandInAgent {
  pid: number;
  /** the session berth records for what this agent starts: claude:<pid>:<start ticks> */
  session: string;
  /** runs `berth …args` from the agent, as its shell tool would, and waits for it */
  berth(args: string[], opts?: { cwd?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** starts a command the agent does not wait for; resolves with its pid */
  background(cmd: string, args: string[], opts?: { cwd?: string; env?: Record<string, string> }): Promise<number>;
  /** SIGKILLs the agent (its session ends; what it started in the background lives on) */
  kill(): Promise<void>;
}

/**
 * Starts a stand-in agent in `env` (BERTH_SESSION is removed: the session is the agent's
 * process, as for a real agent).
 */
export async function startAgent(t: TestContext, env: NodeJS.ProcessEnv): Promise<StandInAgent> {
  const agentEnv = { ...env };
  delete agentEnv.BERTH_SESSION;
  const child = spawn(process.execPath, [STAND_IN], { argv0: 'claude', env: agentEnv, stdio: ['pipe', 'pipe', 'inherit'] });
  const pid = child.pid!;
  const replies = new Map<number, (r: Record<string, unknown>) => void>();
  let ready: (() => void) | undefined;
  const readyP = new Promise<void>((r) => (ready = r));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const r = JSON.parse(line) as Record<string, unknown>;
    if (r.ready) ready?.();
    else replies.get(r.id as number)?.(r);
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const started = new Set<number>();
  t.after(async () => {
    if (isRunning(pid)) child.kill('SIGKILL');
    await exited;
    await Promise.all([...started].map((p) => stopPid(p, 2000)));
  });
  await readyP;
  let next = 0;
  const ask = (req: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const id = ++next;
    const answer = new Promise<Record<string, unknown>>((resolve) => replies.set(id, resolve));
    child.stdin!.write(`${JSON.stringify({ id, ...req })}\n`);
    return answer;
  };
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return {
    pid,
    session: `claude:${pid}:${startTicks}`,
    async berth(args, opts = {}) {
      const r = await ask({ cmd: process.execPath, args: [CLI, ...args], cwd: opts.cwd, env: opts.env });
      const stdout = String(r.stdout ?? '');
      const stderr = String(r.stderr ?? '');
      const summary = `berth ${args.join(' ')} (from the stand-in agent) → exit ${String(r.code)}\n--- stdout\n${stdout}--- stderr\n${stderr}`;
      return { code: r.code as number, stdout, stderr, json: () => JSON.parse(stdout), toString: () => summary };
    },
    async background(cmd, args, opts = {}) {
      const r = await ask({ cmd, args, cwd: opts.cwd, env: opts.env, background: true });
      if (typeof r.pid !== 'number') throw new Error(`the stand-in agent could not start ${cmd}: ${String(r.error)}`);
      started.add(r.pid);
      return r.pid;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
      await waitFor(() => !isRunning(pid), { what: `the stand-in agent ${pid} to be gone` });
    },
  };
}
