// Which systemd unit a process runs in, read from its cgroup, and what a unit file says about
// the port it listens on and how soon systemd gives up on it. The incident's webhook ran as
// sms-webhook.service: "who holds 8765?" is only answered when the answer names the unit, and
// the 35 minutes of downtime came from StartLimitBurst giving up while a squatter held the port.
// Read-only: berth never edits or starts a unit. No systemctl (it may be absent, and spawning
// it per holder would slow `who`): the cgroup file and the unit files are parsed directly, with
// bounds, and a machine without systemd simply has no units. Only .service units are named: a
// .scope (a login session, a terminal tab, a container) is a group of processes some other
// program started, nothing a user can restart, so naming it would only add noise
// (docs/decisions/0022-systemd-units.md).
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readBoundedText } from '../bounded-read.ts';
import { inspect } from './select.ts';

/** The service a process runs in: a systemd unit (Linux) or a launchd job (macOS, launchd.ts), and which manager runs it. */
export interface SystemdUnit {
  /** the unit's name (sms-webhook.service), or the launchd job's label (com.example.webhook) */
  name: string;
  /** system: PID 1's manager (systemctl); user: a user's manager (systemctl --user); launchd: a job of `launchctl list` */
  manager: 'system' | 'user' | 'launchd';
}

/** The most berth reads of one unit file or drop-in. */
const MAX_UNIT_FILE_BYTES = 64 * 1024;
/** The most unit files berth reads per directory: a bound on doctor's cost on a crowded /etc. */
const MAX_UNITS_PER_DIR = 500;

/** A unit name as systemd writes them (escaped: no spaces, no slashes); anything else is not trusted. */
const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]{1,255}$/;
const USER_MANAGER = /^user@\d+\.service$/;

/**
 * The service named by the text of a /proc/PID/cgroup file, or null (no systemd, a scope, a
 * slice): v1's "N:name=systemd:/path" if there is one, else v2's "0::/path". The innermost
 * .service or .scope component of the path is the unit (a service may delegate sub-cgroups
 * below itself); one under a user@UID.service belongs to that user's manager.
 */
export function parseCgroupUnit(text: string): SystemdUnit | null {
  const lines = text.split('\n');
  // v1 and hybrid: systemd's own hierarchy is name=systemd (a hybrid's 0:: line may be bare "/")
  const v1 = lines.find((l) => /^\d+:name=systemd:/.test(l))?.replace(/^\d+:name=systemd:/, '');
  const path = v1 ?? lines.find((l) => l.startsWith('0::'))?.slice(3);
  if (!path) return null;
  const parts = path.split('/').filter((p) => p !== '');
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!;
    if (part.endsWith('.scope')) return null;
    if (!part.endsWith('.service')) continue;
    // user@1000.service itself holds only the manager's own processes, in init.scope
    if (USER_MANAGER.test(part) || !UNIT_NAME.test(part)) return null;
    return { name: part, manager: parts.slice(0, i).some((p) => USER_MANAGER.test(p)) ? 'user' : 'system' };
  }
  return null;
}

/** The service a process runs in (one small read per holder, by the inspection backend), or null. */
export function readProcessUnit(pid: number): SystemdUnit | null {
  return inspect().processUnit(pid);
}

/** "sms-webhook.service (system)", "com.example.webhook (launchd)" */
export function unitLabel(unit: SystemdUnit): string {
  return `${unit.name} (${unit.manager})`;
}

/** What doctor needs of a unit file: the ports its service listens on and its restart budget. */
export interface UnitFile extends SystemdUnit {
  path: string;
  /** ports its ExecStart= flags or Environment= PORT variables name */
  ports: number[];
  /** Restart= (default no) */
  restart: string;
  /** StartLimitBurst= (default 5) */
  startLimitBurst: number;
  /** StartLimitIntervalSec= in ms (default 10 s); 0 turns the limit off */
  startLimitIntervalMs: number;
}

const DEFAULT_START_LIMIT_BURST = 5;
const DEFAULT_START_LIMIT_INTERVAL_MS = 10_000;

/** A unit file's settings: section → key → values in order (a repeated key adds; an empty value resets it). */
export function parseUnitText(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[') && line.endsWith(']')) {
      const name = line.slice(1, -1);
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      continue;
    }
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`;
    const eq = line.indexOf('=');
    if (current === undefined || eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    current.set(key, value === '' ? [] : [...(current.get(key) ?? []), value]);
  }
  return sections;
}

/** Splits an ExecStart= or Environment= value into words, honouring "…" and '…' quotes. */
export function splitUnitWords(value: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) words.push(m[1]?.replace(/\\(.)/g, '$1') ?? m[2] ?? m[3]!);
  return words;
}

/** A flag that names where a server listens: --port, --http-port, --listen, --bind, -p, -b, --web.listen-address. */
const LISTEN_FLAG = /^(-[pb]|--?[A-Za-z0-9._-]*(port|listen|bind)[A-Za-z0-9._-]*)$/i;

/** The port in a flag's value: "8765", "0.0.0.0:8765", "[::]:8765", ":8765". */
function portIn(value: string): number | undefined {
  const m = /^(?:(?:\[[^\]]*\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/.exec(value);
  const port = m ? Number(m[1]) : NaN;
  return port >= 1 && port <= 65535 ? port : undefined;
}

/**
 * The ports a unit's service listens on, as far as its file says: the value of a listen flag
 * in ExecStart= (`--port 8765`, `--port=8765`, `-b 0.0.0.0:8765`), or PORT / *_PORT in
 * Environment=. A port the command only connects to (`--db localhost:5432`) is not one of them.
 */
export function listenPorts(execStart: string[], environment: string[]): number[] {
  const ports = new Set<number>();
  for (const line of execStart) {
    const words = splitUnitWords(line.replace(/^[-@:+!]+/, ''));
    for (let i = 0; i < words.length; i++) {
      const [flag, inline] = words[i]!.split(/=(.*)/s, 2);
      if (!LISTEN_FLAG.test(flag!)) continue;
      const port = portIn(inline ?? words[i + 1] ?? '');
      if (port !== undefined) ports.add(port);
    }
  }
  for (const line of environment) {
    for (const word of splitUnitWords(line)) {
      const m = /^(?:[A-Za-z0-9]+_)*PORT=(\d{1,5})$/i.exec(word);
      const port = m ? portIn(m[1]!) : undefined;
      if (port !== undefined) ports.add(port);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

const SPAN_UNITS_MS: Record<string, number> = { us: 0.001, usec: 0.001, ms: 1, msec: 1, s: 1000, sec: 1000, second: 1000, seconds: 1000, m: 60_000, min: 60_000, minute: 60_000, minutes: 60_000, h: 3_600_000, hr: 3_600_000, hour: 3_600_000, hours: 3_600_000, d: 86_400_000, day: 86_400_000, days: 86_400_000, w: 604_800_000, week: 604_800_000, weeks: 604_800_000 };

/** A systemd time span ("10", "10s", "1min 30s", "infinity") in ms; undefined when unparsable. */
export function parseTimeSpanMs(text: string): number | undefined {
  const t = text.trim();
  if (t === 'infinity') return Infinity;
  const re = /(\d+(?:\.\d+)?)\s*([a-z]*)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m !== null && m[0] !== ''; m = re.exec(t)) {
    const unit = m[2] === '' ? 1000 : SPAN_UNITS_MS[m[2]!];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    consumed = re.lastIndex;
    while (t[re.lastIndex] === ' ') re.lastIndex++;
  }
  return consumed === t.length && t !== '' ? total : undefined;
}

/** Reads one unit (its file and its NAME.d/*.conf drop-ins); undefined when unreadable or not a service. */
export function readUnitFile(dir: string, name: string, manager: SystemdUnit['manager']): UnitFile | undefined {
  const path = join(dir, name);
  const texts: string[] = [];
  try {
    texts.push(readBoundedText(path, MAX_UNIT_FILE_BYTES));
  } catch {
    // a masked unit (a symlink to /dev/null), a directory, a file too large: not a unit berth reads
    return undefined;
  }
  let dropIns: string[] = [];
  try {
    dropIns = readdirSync(`${path}.d`).filter((f) => f.endsWith('.conf')).sort().slice(0, MAX_UNITS_PER_DIR);
  } catch {
    // no drop-ins
  }
  for (const f of dropIns) {
    try {
      texts.push(readBoundedText(join(`${path}.d`, f), MAX_UNIT_FILE_BYTES));
    } catch {
      // skip an unreadable drop-in
    }
  }
  // read as one text, as systemd does: a drop-in's scalar replaces, a list (Environment=,
  // ExecStart=) extends, an empty value resets; "[]" keeps a drop-in without a header out of the last section
  const unit = parseUnitText(texts.join('\n[]\n'));
  const service = unit.get('Service');
  if (service === undefined) return undefined;
  const get = (section: Map<string, string[]> | undefined, key: string): string | undefined => section?.get(key)?.at(-1);
  const burst = Number(get(unit.get('Unit'), 'StartLimitBurst'));
  // the old spelling StartLimitInterval= was read from [Service] too
  const interval = get(unit.get('Unit'), 'StartLimitIntervalSec') ?? get(unit.get('Unit'), 'StartLimitInterval') ?? get(service, 'StartLimitInterval');
  return {
    name,
    manager,
    path,
    ports: listenPorts(service.get('ExecStart') ?? [], service.get('Environment') ?? []),
    restart: get(service, 'Restart') ?? 'no',
    startLimitBurst: Number.isSafeInteger(burst) && burst >= 0 ? burst : DEFAULT_START_LIMIT_BURST,
    startLimitIntervalMs: (interval === undefined ? undefined : parseTimeSpanMs(interval)) ?? DEFAULT_START_LIMIT_INTERVAL_MS,
  };
}

/** Where unit files are looked for, by manager. */
export interface UnitDirs {
  system: string[];
  user: string[];
}

/**
 * The unit directories named by BERTH_SYSTEM_UNIT_DIRS and BERTH_USER_UNIT_DIRS (colon-separated),
 * or null when neither is set: then the machine's own (machineUnitDirs). Touches no disk.
 */
export function unitDirsFromEnv(env: NodeJS.ProcessEnv): UnitDirs | null {
  if (env.BERTH_SYSTEM_UNIT_DIRS === undefined && env.BERTH_USER_UNIT_DIRS === undefined) return null;
  const split = (v: string | undefined): string[] => (v ?? '').split(':').filter((d) => d !== '');
  return { system: split(env.BERTH_SYSTEM_UNIT_DIRS), user: split(env.BERTH_USER_UNIT_DIRS) };
}

/**
 * This machine's unit directories: /etc/systemd/system and ~/.config/systemd/user (the admin's
 * and the user's own units; packaged units under /usr/lib are the distribution's), or none when
 * systemd is not the init system (no /run/systemd/system: the test sd_booted() makes).
 */
export function machineUnitDirs(env: NodeJS.ProcessEnv = process.env): UnitDirs {
  if (!existsSync('/run/systemd/system')) return { system: [], user: [] };
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return { system: ['/etc/systemd/system'], user: [join(config, 'systemd/user')] };
}

/** Every readable .service unit (templates left out) in the directories, at most MAX_UNITS_PER_DIR each. */
export function listUnitFiles(dirs: UnitDirs): UnitFile[] {
  const units: UnitFile[] = [];
  for (const manager of ['system', 'user'] as const) {
    for (const dir of dirs[manager]) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names.filter((n) => n.endsWith('.service') && !n.includes('@.') && UNIT_NAME.test(n)).sort().slice(0, MAX_UNITS_PER_DIR)) {
        const unit = readUnitFile(dir, name, manager);
        if (unit) units.push(unit);
      }
    }
  }
  return units;
}

/** Whether a unit stops restarting on repeated failures: Restart=no, or a start limit that is on. */
export function givesUp(unit: UnitFile): boolean {
  return unit.restart === 'no' || (unit.startLimitBurst > 0 && unit.startLimitIntervalMs > 0);
}
