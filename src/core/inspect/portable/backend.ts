// The portable inspection backend: macOS and any Unix with lsof and ps, answering from
// `lsof -F0` field output and `ps -o` with explicit columns (./lsof.ts, ./ps.ts), never from
// /proc, so that Linux CI exercises the very code paths a Mac runs. Each question costs one or
// two spawns, never one per pid: every process's stat is one ps, every listener one lsof, and
// the boot time is read once per process (docs/decisions/0027-inspection-backends.md).
// What it cannot know, it says so in the shapes' own terms: the session id on macOS is 0,
// start times have whole seconds, a lock's byte range is unknown (start 0, end null) and its
// kind is UNKNOWN (lsof tells neither flock from fcntl nor the range), `unreadable` is 0
// (lsof silently skips what it may not read).
import { launchdUnitOf } from '../launchd.ts';
import type { FileLock } from '../file-locks.ts';
import { splitDev } from '../file-locks.ts';
import { CLOCK_TICKS_PER_SECOND, type FileTarget, type FileUse, type InspectBackend, type LockOnFile, type ProcStat, type SocketEntry } from '../backend.ts';
import type { Protocol } from '../sockets.ts';
import { bootIdOf, parseBoottime } from './boot.ts';
import { parseEnvTail } from './environ.ts';
import {
  accessOf,
  familyOf,
  filesOf,
  isListening,
  LSOF_BASE,
  lockOf,
  parseInetName,
  parseLsof,
  protocolOf,
  socketKey,
  type LsofFile,
  type LsofProcess,
} from './lsof.ts';
import { parsePsRows, type PsRow, splitCommand, STAT_COLUMNS } from './ps.ts';
import { runTool } from './run.ts';


export interface PortableOptions {
  /** the platform whose tools' dialect to read (tests read macOS fixtures on Linux) */
  platform?: NodeJS.Platform;
  /** runs a tool and returns its stdout (tests answer from recorded output) */
  run?: (tool: string, args: string[], emptyOk?: number[]) => string;
}

/** Major and minor of a dev_t as stat returns it: Linux's split, or BSD/macOS's 8:24 bits. */
function devParts(dev: number, platform: NodeJS.Platform): { major: number; minor: number } {
  if (platform === 'linux') return splitDev(dev);
  return { major: (dev >>> 24) & 0xff, minor: dev & 0xffffff };
}

export function createPortableBackend(options: PortableOptions = {}): InspectBackend {
  const platform = options.platform ?? process.platform;
  const run = options.run ?? runTool;
  const lsof = (args: string[]): LsofProcess[] => parseLsof(run('lsof', [...LSOF_BASE, ...args]));
  let bootSec: number | undefined;

  const bootSeconds = (): number => {
    if (bootSec !== undefined) return bootSec;
    if (platform !== 'linux') bootSec = parseBoottime(run('sysctl', ['-n', 'kern.boottime'], []));
    bootSec ??= psRows(['-o', STAT_COLUMNS, '-p', '1'])[0]?.startSec ?? 0;
    return bootSec;
  };

  const psRows = (args: string[]): PsRow[] => parsePsRows(run('ps', args), platform);
  const toStat = (row: PsRow): ProcStat => ({ ...row.stat, startTicks: (row.startSec - bootSeconds()) * CLOCK_TICKS_PER_SECOND });
  const rowOf = (pid: number): PsRow | undefined => (validPid(pid) ? psRows(['-o', STAT_COLUMNS, '-p', String(pid)]).find((r) => r.stat.pid === pid) : undefined);

  /** `ps -o state=,command=` for one pid: its state letter and the command text. */
  const commandOf = (pid: number, withEnv: boolean): { state: string; command: string } | undefined => {
    if (!validPid(pid)) return undefined;
    const envFlag = withEnv ? (platform === 'darwin' ? ['-E', '-ww'] : ['eww']) : ['-ww'];
    const line = run('ps', [...envFlag, '-o', 'state=,command=', '-p', String(pid)]).split('\n')[0]?.replace(/^\s+/, '');
    if (line === undefined || line.length === 0) return undefined;
    // The state column is padded (macOS: "S+   node …"): the command starts after the run of spaces.
    const m = /^(\S+) +(.*)$/s.exec(line);
    return m === null ? { state: line[0]!, command: '' } : { state: m[1]![0]!, command: m[2]! };
  };

  /** One process's descriptors (lsof -a -p PID), or undefined when lsof shows no such process. */
  const filesOfPid = (pid: number, extra: string[], fields: string): LsofFile[] | undefined => {
    if (!validPid(pid)) return undefined;
    return lsof([`-F0${fields}`, ...extra, '-a', '-p', String(pid)]).find((p) => p.pid === pid)?.files;
  };

  return {
    name: 'portable',

    listPids: () =>
      run('ps', ['-A', '-o', 'pid='])
        .split('\n')
        .map((l) => Number(l.trim()))
        .filter(validPid),
    readAllStats: () => new Map(psRows(['-A', '-o', STAT_COLUMNS]).map((r) => [r.stat.pid, toStat(r)])),
    readStat: (pid) => {
      const row = rowOf(pid);
      return row === undefined ? undefined : toStat(row);
    },
    readArgv: (pid) => {
      const c = commandOf(pid, false);
      return c === undefined ? undefined : splitCommand(c.command, c.state);
    },
    readCwd: (pid) => filesOfPid(pid, ['-d', 'cwd'], 'fn')?.find((f) => f.fd === 'cwd')?.fields['n'],
    readUids: (pid) => rowOf(pid)?.uids,
    readEnviron: (pid) => {
      const plain = commandOf(pid, false);
      const full = plain === undefined ? undefined : commandOf(pid, true);
      return plain === undefined || full === undefined ? undefined : parseEnvTail(full.command, plain.command);
    },
    readRssBytes: (pid) => {
      const row = rowOf(pid);
      return row === undefined ? null : row.rssKiB * 1024;
    },
    bootId: () => bootIdOf(bootSeconds()),
    bootTimeMs: () => bootSeconds() * 1000,
    // The launchd job the process (or an ancestor) runs as, on macOS only (../launchd.ts).
    processUnit: (pid) => launchdUnitOf(pid, { platform, parentOf: (p) => rowOf(p)?.stat.ppid }),

    readSockets: (filter = {}) => readSockets(lsof, filter),
    socketHolders: (keys) => {
      const wanted = new Set(keys);
      const byInode = new Map<number, number[]>();
      if (wanted.size === 0) return { byInode, unreadable: 0 };
      for (const [proc, file] of filesOf(lsof(['-F0pfd', '-i', '-U']))) {
        const key = socketKey(file.fields['d']);
        if (key === undefined || !wanted.has(key)) continue;
        const list = byInode.get(key) ?? [];
        if (!list.includes(proc.pid)) list.push(proc.pid);
        byInode.set(key, list);
      }
      return { byInode, unreadable: 0 };
    },
    socketKeysOf: (pid) => {
      const files = filesOfPid(pid, [], 'fdt');
      if (files === undefined) return undefined;
      const keys = new Set<number>();
      for (const f of files) {
        const t = f.fields['t'];
        if (t !== 'IPv4' && t !== 'IPv6' && t !== 'unix' && t !== 'sock') continue;
        const key = socketKey(f.fields['d']);
        if (key !== undefined) keys.add(key);
      }
      return keys;
    },
    boundUnixSockets: (prefix) => {
      const out = new Map<string, number[]>();
      for (const [proc, file] of filesOf(lsof(['-F0pfn', '-U']))) {
        // Linux lsof appends " type=STREAM" (and a state); macOS prints the path, or "->0x…" for a peer.
        const name = (file.fields['n'] ?? '').split(' ')[0]!;
        if (!name.startsWith(prefix)) continue;
        const rest = name.slice(prefix.length);
        const list = out.get(rest) ?? [];
        if (!list.includes(proc.pid)) list.push(proc.pid);
        out.set(rest, list);
      }
      return out;
    },
    tcpClientUid: (clientPort, serverPort) => {
      if (!validPort(clientPort) || !validPort(serverPort)) return undefined;
      for (const [proc, file] of filesOf(lsof(['-F0pufPtn', `-iTCP@127.0.0.1:${clientPort}`, `-iTCP@[::1]:${clientPort}`]))) {
        const family = familyOf(file.fields['t']);
        const name = family === undefined ? undefined : parseInetName(file.fields['n'] ?? '', family);
        if (name?.port === clientPort && name.remote?.port === serverPort) return proc.uid;
      }
      return undefined;
    },

    fileUses: (targets) => fileUses(lsof, targets, platform),
    openPathsOf: (pid) => {
      const files = filesOfPid(pid, [], 'ftn');
      if (files === undefined) return undefined;
      return files.filter((f) => f.fields['t'] === 'REG' && /^\d+$/.test(f.fd)).map((f) => f.fields['n'] ?? '').filter((n) => n.startsWith('/'));
    },
    allLocks: () => {
      const out: Array<LockOnFile & { path: string | null }> = [];
      let id = 1;
      for (const [proc, file] of filesOf(lsof(['-F0pfltDin']))) {
        if (lockOf(file.fields['l']) === undefined) continue;
        const dev = devParts(Number.parseInt(file.fields['D'] ?? '0', 16), platform);
        const lock = lockFrom(file, proc.pid, id, dev, Number(file.fields['i'] ?? 0));
        if (lock === undefined) continue;
        id++;
        const name = file.fields['n'];
        out.push({ ...lock, path: file.fields['t'] === 'REG' && name?.startsWith('/') ? name : null });
      }
      return out;
    },
  };
}


function validPid(pid: number): boolean {
  return Number.isInteger(pid) && pid > 0 && pid <= 0x7fffffff;
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port < 65536;
}

/** Listening TCP sockets and bound UDP sockets, one entry per socket (its first holder's uid). */
function readSockets(lsof: Lsof, filter: { port?: number; protocol?: Protocol }): SocketEntry[] {
  const port = filter.port === undefined ? '' : `:${filter.port}`;
  if (filter.port !== undefined && !validPort(filter.port)) return [];
  // One run for both: -sTCP:LISTEN would drop every UDP socket, so the LISTEN state is read from T.
  const select = [...(filter.protocol !== 'udp' ? [`-iTCP${port}`] : []), ...(filter.protocol !== 'tcp' ? [`-iUDP${port}`] : [])];
  const seen = new Map<number, SocketEntry>();
  for (const [proc, file] of filesOf(lsof(['-F0pufdtPnT', ...select]))) {
    const protocol = protocolOf(file.fields['P']);
    const family = familyOf(file.fields['t']);
    const inode = socketKey(file.fields['d']);
    if (protocol === undefined || family === undefined || inode === undefined || seen.has(inode)) continue;
    if (protocol === 'tcp' && !isListening(file)) continue;
    const name = parseInetName(file.fields['n'] ?? '', family);
    if (name === undefined || name.port === 0 || (filter.port !== undefined && name.port !== filter.port)) continue;
    seen.set(inode, { protocol, family, address: name.address, port: name.port, uid: proc.uid ?? -1, inode });
  }
  return [...seen.values()];
}

type Lsof = (args: string[]) => LsofProcess[];

/** The lock lsof reports on one open file, as the backend's FileLock (lsof gives no kind or byte range). */
function lockFrom(file: LsofFile, pid: number, id: number, dev: { major: number; minor: number }, inode: number): LockOnFile | undefined {
  const lock = lockOf(file.fields['l']);
  if (lock === undefined) return undefined;
  const fd = Number(file.fd);
  const base: FileLock = { id, kind: 'UNKNOWN', mandatory: false, access: lock.access, pid, ...dev, inode, start: 0, end: null, waiting: false };
  return Number.isInteger(fd) ? { ...base, holder: pid, fd } : { ...base, holder: pid };
}

/** Who has each target open and what locks are on it: one lsof run over all their paths. */
function fileUses(lsof: Lsof, targets: FileTarget[], platform: NodeJS.Platform): { uses: FileUse[]; unreadable: number } {
  const uses: FileUse[] = targets.map(() => ({ opens: [], locks: [] }));
  if (targets.length === 0) return { uses, unreadable: 0 };
  let id = 1;
  for (const [proc, file] of filesOf(lsof(['-F0pfalin', '--', ...targets.map((t) => t.path)]))) {
    const inode = Number(file.fields['i']);
    const name = file.fields['n'];
    const sameInode = targets.map((t, i) => [t, i] as const).filter(([t]) => t.ino === inode);
    const index = (sameInode.length > 1 ? sameInode.find(([t]) => t.path === name) : sameInode[0])?.[1];
    if (index === undefined) continue;
    const target = targets[index]!;
    const use = uses[index]!;
    const fd = Number(file.fd);
    const mode = accessOf(file.fields['a']);
    if (/^\d+$/.test(file.fd) && mode !== undefined) use.opens.push({ pid: proc.pid, fd, mode });
    const lock = lockFrom(file, proc.pid, id, devParts(target.dev, platform), target.ino);
    if (lock !== undefined) {
      id++;
      use.locks.push(lock);
    }
  }
  return { uses, unreadable: 0 };
}
