// Runs the real, built CLI (the package's bin, dist/bundle/main.js) as a user would.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterOutput } from './procs.ts';

// the installed bin (package.json): the bundled CLI, exactly what users run
export const CLI = fileURLToPath(new URL('../../dist/bundle/main.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON */
  json<T = any>(): T;
  /** everything, for assertion messages */
  toString(): string;
}

/**
 * Runs a command to its end and returns its exit and output (KILLed after timeoutMs, so a hung
 * command fails the test instead of hanging it).
 */
export function runToEnd(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    afterOutput(child, (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}


export async function berth(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const { code, signal, stdout, stderr } = await runToEnd(process.execPath, [CLI, ...args], opts);
  const summary = `berth ${args.join(' ')} → exit ${code ?? signal}\n--- stdout\n${stdout}--- stderr\n${stderr}`;
  return {
    code: code ?? 128,
    stdout,
    stderr,
    json: () => {
      try {
        return JSON.parse(stdout);
      } catch {
        throw new Error(`stdout is not JSON:\n${summary}`);
      }
    },
    toString: () => summary,
  };
}

/** Asserts the command succeeded (showing its output if not) and returns its result. */
export function ok(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`expected exit 0:\n${r.toString()}`);
  return r;
}
