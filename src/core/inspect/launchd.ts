// Which launchd job a process runs in, on macOS: the counterpart of the systemd unit read from a
// cgroup on Linux (units.ts). One of the systems berth was made from ran three HTTP servers as
// LaunchAgents; "who holds 8765?" is only answered there when the answer names the job's label,
// the thing `launchctl kickstart`/`bootout` and the plist are named by. launchd keeps no cgroup:
// its only public answer is `launchctl list`, three tab-separated columns (PID, Status, Label;
// PID "-" for a job that is not running, launchctl(1)), listing the jobs of the caller's own
// domain, so the pid launchd started is matched, and a holder below it (a server its wrapper
// script spawned) is found by walking up the parents. `launchctl procinfo PID` would answer
// directly but needs root, so it is not used. Read-only: berth never loads, kicks or boots a job.
import type { SystemdUnit } from './units.ts';

/** One running job of `launchctl list`. */
export interface LaunchdJob {
  pid: number;
  label: string;
}

/** The most bytes of `launchctl list` berth reads (a few hundred jobs at ~60 bytes a line). */
const MAX_LIST_BYTES = 1024 * 1024;
/** launchctl answers in milliseconds; a hung one must not hang `who`. */
const LIST_TIMEOUT_MS = 2_000;
/** How many parents up from a holder berth looks for the job's pid. */
const MAX_PARENT_HOPS = 16;

/** A label as plists carry them (reverse-DNS); anything else is not named. */
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
/**
 * Labels that are not a job anyone declared: the per-application jobs launchd makes for an app
 * opened in the GUI (application.com.apple.Terminal.1234.5678) and anonymous jobs: like a
 * systemd scope, nothing a user restarts, so naming them would only add noise.
 */
const NOT_A_JOB = /^(application\.|anonymous\.|\[0x)|^0x[0-9a-f]+\.anonymous\./;

/**
 * The running jobs in the text of `launchctl list`: lines "PID\tStatus\tLabel" after the header;
 * a job that is not running ("-") and a line that is not three columns are left out.
 */
export function parseLaunchctlList(text: string): LaunchdJob[] {
  const jobs: LaunchdJob[] = [];
  for (const line of text.split('\n')) {
    const cols = line.replace(/\r$/, '').split('\t');
    if (cols.length !== 3) continue;
    const [pidText, , label] = cols as [string, string, string];
    if (!/^\d{1,10}$/.test(pidText)) continue; // the header, or "-": not running
    const pid = Number(pidText);
    if (pid <= 1 || !LABEL.test(label) || NOT_A_JOB.test(label)) continue;
    jobs.push({ pid, label });
  }
  return jobs;
}

/** Runs `launchctl list` (bounded, with a timeout); the empty list where there is no launchctl or it fails. */
export function readLaunchdJobs(): LaunchdJob[] {
  try {
    // loaded here, not at import: only macOS asks launchctl
    const text = process.getBuiltinModule('node:child_process').execFileSync('launchctl', ['list'], { encoding: 'utf8', timeout: LIST_TIMEOUT_MS, maxBuffer: MAX_LIST_BYTES, stdio: ['ignore', 'pipe', 'ignore'] });
    return parseLaunchctlList(text);
  } catch {
    return [];
  }
}

export interface LaunchdLookup {
  /** the jobs, read once by the caller for many pids (default: `launchctl list` now) */
  jobs?: LaunchdJob[];
  /** a process's parent pid (the backend's process table), to find a job above a holder */
  parentOf?: (pid: number) => number | undefined;
  /** the platform (default: this one); launchd is asked on darwin only */
  platform?: NodeJS.Platform | string;
}

/**
 * The launchd job a process runs in: the job whose pid is the process or one of its ancestors
 * (up to MAX_PARENT_HOPS, never pid 1, launchd itself), as { name: label, manager: 'launchd' };
 * null when none is, or off macOS.
 */
export function launchdUnitOf(pid: number, opts: LaunchdLookup = {}): SystemdUnit | null {
  if ((opts.platform ?? process.platform) !== 'darwin') return null;
  const jobs = opts.jobs ?? readLaunchdJobs();
  if (jobs.length === 0) return null;
  const byPid = new Map(jobs.map((j) => [j.pid, j.label]));
  const seen = new Set<number>();
  let current: number | undefined = pid;
  for (let hop = 0; hop <= MAX_PARENT_HOPS && current !== undefined && current > 1 && !seen.has(current); hop++) {
    const label = byPid.get(current);
    if (label !== undefined) return { name: label, manager: 'launchd' };
    seen.add(current);
    current = opts.parentOf?.(current);
  }
  return null;
}
