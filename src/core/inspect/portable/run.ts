// Runs the inspection tools (lsof, ps, sysctl) the portable backend reads. Always without a
// shell (no quoting to get wrong), with LC_ALL=C (so dates and numbers are in the documented
// format, never a translation), a timeout (a hung NFS mount can stall lsof) and a bound on the
// output. lsof and ps exit 1 when nothing matched (a pid that is gone, a port nobody holds):
// that is an empty answer, not a failure. A tool that is not installed is a typed error naming
// the package to install, because the backend cannot answer anything without it.
import { BerthError } from '../../errors.ts';

/** The most output berth reads from one run (lsof of every file on a busy host fits well under). */
export const MAX_TOOL_OUTPUT_BYTES = 64 * 1024 * 1024;
/** How long one run may take before berth gives up on it. */
export const TOOL_TIMEOUT_MS = 20_000;

const PACKAGES: Record<string, string> = {
  lsof: 'lsof (apt-get install lsof, dnf install lsof; part of macOS)',
  ps: 'procps (apt-get install procps; part of macOS)',
  sysctl: 'procps (part of macOS)',
};

/** An inspection tool berth needs is not installed (or not on the PATH). */
export class ToolMissingError extends BerthError {
  constructor(tool: string) {
    const pkg = PACKAGES[tool] ?? tool;
    super('internal', `\`${tool}\` is not installed: berth's portable inspection backend needs it`, {
      hint: `install ${pkg}, or run berth where /proc is readable (BERTH_INSPECT=proc)`,
      details: { tool, package: pkg.split(' ')[0] },
    });
  }
}

/** The tool failed in a way that is not "nothing matched" (killed by the timeout, output too large, a crash). */
export class ToolFailedError extends BerthError {
  constructor(tool: string, why: string) {
    super('internal', `\`${tool}\` failed: ${why}`, { details: { tool } });
  }
}

/**
 * The stdout of `tool args…`. Exit statuses in `emptyOk` (lsof and ps: 1) are answers, and
 * their stdout (often empty) is returned; any other failure is a ToolFailedError.
 */
export function runTool(tool: string, args: string[], emptyOk: number[] = [1]): string {
  // node:child_process (and net, dgram) load at the first run, not at import: the proc backend never needs them
  const result = process.getBuiltinModule('node:child_process').spawnSync(tool, args, {
    env: { ...process.env, LC_ALL: 'C', LANG: 'C', TZ: 'UTC0' },
    timeout: TOOL_TIMEOUT_MS,
    maxBuffer: MAX_TOOL_OUTPUT_BYTES,
    stdio: ['ignore', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const error = result.error as NodeJS.ErrnoException | undefined;
  if (error?.code === 'ENOENT') throw new ToolMissingError(tool);
  if (error !== undefined) throw new ToolFailedError(tool, error.message);
  if (result.signal !== null) throw new ToolFailedError(tool, `killed by ${result.signal}`);
  if (result.status !== 0 && !emptyOk.includes(result.status ?? -1)) {
    throw new ToolFailedError(tool, `exit ${result.status}: ${result.stderr.toString('utf8').trim().slice(0, 200)}`);
  }
  return result.stdout.toString('utf8');
}
