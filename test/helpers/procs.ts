// Processes a test starts: tracked, their output kept for failure messages, and stopped by pid
// (TERM, then KILL after a grace) when the test ends.
import { type ChildProcess, execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { waitFor } from './wait.ts';

export interface Proc {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** the exit status once it has exited, else undefined */
  status(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** resolves with the first stdout line matching re */
  line(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/**
 * Calls back once the child has exited and its output has been read: 'exit' can come before the
 * last of stdout is (a fast berth call under load printed nothing, as far as 'exit' knew). Waits
 * for 'close' after 'exit', but at most OUTPUT_GRACE_MS: a grandchild that inherited the pipes
 * (a service started by the command) would hold 'close' off for as long as it runs.
 */
export function afterOutput(child: ChildProcess, done: (code: number | null, signal: NodeJS.Signals | null) => void): void {
  let closed = false;
  child.once('close', () => (closed = true));
  child.once('exit', (code, signal) => {
    if (closed) return done(code, signal);
    const grace = setTimeout(() => done(code, signal), OUTPUT_GRACE_MS);
    child.once('close', () => {
      clearTimeout(grace);
      done(code, signal);
    });
  });
}

const OUTPUT_GRACE_MS = 2_000;

/** Alive and not a zombie (an exited process whose parent has not reaped it yet). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !isZombie(pid);
}

// The processes each test started, so that its temporary directories are removed only after
// they are stopped (a process still running could write there again).
const byTest = new WeakMap<TestContext, Set<Proc>>();

/** Stops every process this test started with start() (TERM, then KILL). */
export async function stopAll(t: TestContext): Promise<void> {
  await Promise.all([...(byTest.get(t) ?? [])].map((p) => p.stop()));
}

export function start(t: TestContext, cmd: string, args: string[], opts: SpawnOptions = {}): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  // exited once its output is read too (afterOutput): a test reads output() right after
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => afterOutput(child, (code, signal) => resolve({ code, signal })));
  let done = false;
  let status: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((s) => {
    done = true;
    status = s;
  });
  const proc: Proc = {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    status: () => status,
    line: (re, timeoutMs = 10_000) =>
      waitFor(() => re.exec(out) ?? (done ? Promise.reject(new Error(`process exited before printing ${re}:\n${out}`)) : undefined), {
        timeoutMs,
        what: `${cmd} ${args.join(' ')} to print ${re}; output so far:\n${out}`,
      }),
    stop: async () => {
      if (done) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 3000))]);
      if (!killed && !done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  if (!byTest.has(t)) byTest.set(t, new Set());
  byTest.get(t)!.add(proc);
  t.after(() => proc.stop());
  return proc;
}

/** Stops a process that is not our child, by pid: TERM, then KILL after the grace. */
export async function stopPid(pid: number, graceMs = 3000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  try {
    await waitFor(() => !isRunning(pid), { timeoutMs: graceMs, what: `pid ${pid} to exit` });
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8') as string;
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

/** True when a command is on the PATH (some tests use python3 as a real, foreign holder). */
export function hasCommand(cmd: string): boolean {
  try {
    execFileSync(cmd, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
