// Thin readers of Linux /proc. Each returns undefined when the process is gone or unreadable,
// because between listing /proc and reading a file a process may exit: that is normal, not an error.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { ProcStat } from '../backend.ts';
import { readSeqFile } from './seq-file.ts';

export const PROC = '/proc';

export type { ProcStat };

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Every numeric entry of /proc: the pids alive at the moment of reading. */
export function listPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync(PROC)) {
    const c = entry.charCodeAt(0);
    if (c >= 48 && c <= 57) pids.push(Number(entry));
  }
  return pids;
}

/** Parses /proc/<pid>/stat. The comm field may hold spaces and parentheses, so split after the last ')'. */
export function parseStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  const field = (i: number): number => Number(rest[i]);
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: field(1),
    pgid: field(2),
    sid: field(3),
    ttyNr: field(4),
    startTicks: field(19),
  };
}

export function readStat(pid: number): ProcStat | undefined {
  const text = readText(`${PROC}/${pid}/stat`);
  return text === undefined ? undefined : parseStat(text);
}

/** The argv of a process; empty for kernel threads and zombies. */
export function readArgv(pid: number): string[] | undefined {
  const text = readText(`${PROC}/${pid}/cmdline`);
  if (text === undefined) return undefined;
  const parts = text.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

export function readCwd(pid: number): string | undefined {
  try {
    return readlinkSync(`${PROC}/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/**
 * The real, effective, saved and filesystem uids of a process, from the Uid: line of its status.
 * (The owner of /proc/PID is not its uid: it is root for a non-dumpable process, e.g. one that
 * called prctl(PR_SET_DUMPABLE, 0) or runs a setcap binary.)
 */
export function readUids(pid: number): number[] | undefined {
  const text = readText(`${PROC}/${pid}/status`);
  const line = text === undefined ? undefined : /^Uid:\s+(.*)$/m.exec(text)?.[1];
  if (line === undefined) return undefined;
  const uids = line.trim().split(/\s+/).map(Number);
  return uids.length > 0 && uids.every(Number.isInteger) ? uids : undefined;
}

/** A process's initial environment, as NAME -> value (readable for our own user's processes only). */
export function readEnviron(pid: number): Record<string, string> | undefined {
  const text = readText(`${PROC}/${pid}/environ`);
  if (text === undefined) return undefined;
  const env: Record<string, string> = {};
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

let cachedBootId: string | undefined;
export function readBootId(): string {
  cachedBootId ??= (readText(`${PROC}/sys/kernel/random/boot_id`) ?? 'unknown').trim();
  return cachedBootId;
}

let cachedBootTimeMs: number | undefined;
/** The wall-clock time of boot, from the btime line of /proc/stat. */
export function readBootTimeMs(): number {
  if (cachedBootTimeMs === undefined) {
    const match = /^btime (\d+)$/m.exec(readText(`${PROC}/stat`) ?? '');
    cachedBootTimeMs = match ? Number(match[1]) * 1000 : 0;
  }
  return cachedBootTimeMs;
}

/** The open file descriptors of a process as [fd, link target] pairs, or undefined if unreadable. */
export function readFdLinks(pid: number): Array<[number, string]> | undefined {
  let fds: string[];
  try {
    fds = readdirSync(`${PROC}/${pid}/fd`);
  } catch {
    return undefined;
  }
  const links: Array<[number, string]> = [];
  for (const fd of fds) {
    try {
      links.push([Number(fd), readlinkSync(`${PROC}/${pid}/fd/${fd}`)]);
    } catch {
      // the fd closed between readdir and readlink
    }
  }
  return links;
}

export interface FdInfo {
  flags: number;
  lockLines: string[];
}

/** /proc/<pid>/fdinfo/<fd>: the open flags (octal) and the locks on that open file description. */
export function readFdInfo(pid: number, fd: number): FdInfo | undefined {
  const text = readText(`${PROC}/${pid}/fdinfo/${fd}`);
  return text === undefined ? undefined : parseFdInfo(text);
}

/** Parses the text of a /proc/<pid>/fdinfo/<fd> file. */
export function parseFdInfo(text: string): FdInfo {
  let flags = 0;
  const lockLines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('flags:')) flags = parseInt(line.slice(6).trim(), 8);
    else if (line.startsWith('lock:')) lockLines.push(line.slice(5).trim());
  }
  return { flags, lockLines };
}

export function readProcFile(name: string): string {
  // the network tables are seq_files, read in one walk of the kernel's tables (seq-file.ts)
  return (name.startsWith('net/') ? readSeqFile(`${PROC}/${name}`) : readText(`${PROC}/${name}`)) ?? '';
}

/** Resident memory in bytes (VmRSS of /proc/PID/status), or null when unknown. */
export function readRssBytes(pid: number): number | null {
  const text = readText(`${PROC}/${pid}/status`);
  const kb = text === undefined ? undefined : /^VmRSS:\s+(\d+)\s+kB$/m.exec(text)?.[1];
  return kb === undefined ? null : Number(kb) * 1024;
}

/** Whether /proc is mounted here (a Linux /proc: it has this process's own stat). */
export function procMounted(): boolean {
  return readText(`${PROC}/self/stat`) !== undefined;
}
