// `berth ps` marks services whose berth.yaml entry changed since they started (drift.ts). Judging
// that loads the berth.yaml reader (yaml and zod, ~15-20 ms of module loading) and reads and
// validates every file again, on the verb agents call most, though the files rarely change
// between two calls. So the judgement of each file is kept in $BERTH_HOME/cache/config-drift.json,
// keyed by what it rests on: the file as lstat/stat see it (device, inode, size, mtime, ctime;
// through a symlink, the link's and the target's; a missing file is a key too), the env_files it
// read, that the services' working directories are still directories, and a fingerprint of the
// recorded specs judged. Anything else → judge again and store the new judgement.
// Two rules keep a stale answer out:
// - A file changed within a timestamp's granularity of the moment it was read could show the
//   same stat before and after ("racy git"): a judgement is kept only if it was made at least
//   RACY_MS after the newest mtime/ctime of what it read (the clock is read before any stat).
// - The cache is a hint, never an input berth trusts: it is read only as berth's own regular
//   file in its own private directory (no symlink followed), bounded, checked field by field,
//   and ignored (then rewritten) when it is anything else; it is written whole to a new file
//   and renamed into place (a link planted at its name is replaced, never written through).
//   Failing to read or write it changes nothing but the time ps takes. Decision 0034.
import { closeSync, constants, fstatSync, lstatSync, readSync, renameSync, rmSync, statSync, type BigIntStats, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isErrno } from '../errors.ts';
import { packageVersion } from '../package.ts';
import { ensurePrivateDir, isPrivateDir, openChecked, openPrivateRead } from '../private-fs.ts';
import { SPEC_FIELDS, type ServiceSpec, type SpecField } from '../supervisor/spec.ts';
import type { FileJudgement } from './drift.ts';

export const DRIFT_CACHE_FILE = 'config-drift.json';
const KIND = 'berth-config-drift';
const FORMAT = 1;
/** The most config files the cache remembers; the longest-judged are dropped first. */
export const MAX_CACHED_FILES = 64;
/** The largest cache file berth reads; a larger one is ignored (and rewritten smaller). */
export const MAX_CACHE_BYTES = 1024 * 1024;
/** Coarser than any file system's timestamps berth meets (FAT's are 2 s; Linux's tick a few ms). */
export const RACY_MS = 2000;
/** A missing path's key. */
const MISSING = '-';

interface Entry {
  file: string;
  /** the config file's key */
  key: string;
  /** fingerprint of the recorded specs judged */
  specs: string;
  /** env_file path → its key */
  envFiles: Record<string, string>;
  /** directories that must still be directories */
  dirs: string[];
  /** Date.now() before anything was read */
  judgedAt: number;
  drift: Record<string, SpecField[]>;
}

interface CacheDoc {
  kind: typeof KIND;
  format: typeof FORMAT;
  berth: string;
  entries: Entry[];
}

/** What the judge is given and returns: drift.ts's judgeConfigFiles, loaded only when called. */
export type Judge = (recorded: ServiceSpec[]) => Promise<FileJudgement[]>;

/**
 * The drift of the recorded specs (full name → changed fields), from the cache where every key
 * still holds, from `judge` (for the other files only) otherwise; the cache is updated.
 */
export async function cachedConfigDrift(home: string, recorded: ServiceSpec[], judge: Judge, now: () => number = Date.now): Promise<Map<string, SpecField[]>> {
  const byFile = byConfigFile(recorded);
  const drift = new Map<string, SpecField[]>();
  if (byFile.size === 0) return drift;
  const dir = join(home, 'cache');
  const version = berthVersion();
  const kept = new Map((version === undefined ? [] : (readCache(dir, version) ?? [])).map((e) => [e.file, e]));
  let changed = false;
  const judgedAt = now();
  const missed = new Map<string, { key: PathKey | undefined; specs: string }>();
  for (const [file, specs] of byFile) {
    const key = pathKey(file);
    const fingerprint = fingerprintSpecs(specs);
    const entry = kept.get(file);
    if (entry !== undefined && key !== undefined && entry.key === key.key && entry.specs === fingerprint && inputsHold(entry)) {
      for (const [name, fields] of Object.entries(entry.drift)) drift.set(name, fields);
    } else {
      missed.set(file, { key, specs: fingerprint });
      changed = kept.delete(file) || changed;
    }
  }
  if (missed.size === 0) return drift;
  const judged = await judge([...missed.keys()].flatMap((file) => byFile.get(file)!));
  const fresh: Entry[] = [];
  for (const j of judged) {
    for (const [name, fields] of j.drift) drift.set(name, fields);
    const miss = missed.get(j.file);
    const entry = miss?.key && entryFor(j, miss.key, miss.specs, judgedAt);
    if (entry) fresh.push(entry);
  }
  if ((changed || fresh.length > 0) && version !== undefined) writeCache(dir, { kind: KIND, format: FORMAT, berth: version, entries: newestFirst([...fresh, ...kept.values()]) });
  return drift;
}

/** The specs that came from a config file, by that file. */
export function byConfigFile(recorded: ServiceSpec[]): Map<string, ServiceSpec[]> {
  const byFile = new Map<string, ServiceSpec[]>();
  for (const spec of recorded) if (spec.configFile !== undefined) byFile.set(spec.configFile, [...(byFile.get(spec.configFile) ?? []), spec]);
  return byFile;
}

/** Judgements are kept per berth version: another version may read a file differently. */
function berthVersion(): string | undefined {
  try {
    return packageVersion();
  } catch {
    return undefined;
  }
}

/** What a judgement is kept as, or undefined when it must not be kept (its inputs moved, or it is racy). */
function entryFor(j: FileJudgement, key: PathKey, specs: string, judgedAt: number): Entry | undefined {
  // a file that does not load is kept only as "missing": why another one fails may lie elsewhere
  if (!j.loaded && key.key !== MISSING) return undefined;
  const envFiles: Record<string, string> = {};
  let newest = key.newest;
  for (const path of j.envFiles) {
    const k = pathKey(path);
    if (k === undefined || k.key === MISSING) return undefined;
    envFiles[path] = k.key;
    newest = Math.max(newest, k.newest);
  }
  if (!j.dirs.every(isDirectory) || judgedAt < newest + RACY_MS) return undefined;
  return { file: j.file, key: key.key, specs, envFiles, dirs: j.dirs, judgedAt, drift: Object.fromEntries(j.drift) };
}

function inputsHold(entry: Entry): boolean {
  return Object.entries(entry.envFiles).every(([path, key]) => pathKey(path)?.key === key) && entry.dirs.every(isDirectory);
}

/** The entries to keep, the most recently judged first (a stable sort: this call's, given first, win a tie). */
function newestFirst(entries: Entry[]): Entry[] {
  return entries.sort((a, b) => b.judgedAt - a.judgedAt).slice(0, MAX_CACHED_FILES);
}

interface PathKey {
  key: string;
  /** the newest mtime/ctime (ms) of what the key covers; 0 for a missing file */
  newest: number;
}

/** A path's key as lstat (and, through a symlink, stat) see it; undefined when it cannot be looked at. */
export function pathKey(path: string): PathKey | undefined {
  const link = bigStat(path, lstatSync);
  if (link === null) return { key: MISSING, newest: 0 };
  if (link === undefined) return undefined;
  let key = statKey(link);
  let newest = newestMs(link);
  if (link.isSymbolicLink()) {
    const target = bigStat(path, statSync);
    if (target === undefined) return undefined;
    key += `>${target === null ? MISSING : statKey(target)}`;
    if (target !== null) newest = Math.max(newest, newestMs(target));
  }
  return { key, newest };
}

/** null: nothing there (or a link to nothing); undefined: could not look. */
function bigStat(path: string, how: typeof lstatSync | typeof statSync): BigIntStats | null | undefined {
  try {
    return how(path, { bigint: true });
  } catch (err) {
    return isErrno(err, 'ENOENT', 'ENOTDIR') ? null : undefined;
  }
}

function statKey(st: BigIntStats): string {
  return `${st.mode}.${st.dev}.${st.ino}.${st.size}.${st.mtimeNs}.${st.ctimeNs}`;
}

function newestMs(st: BigIntStats): number {
  return Number((st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs) / 1_000_000n) + 1;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A short fingerprint of specs: two 32-bit FNV-1a hashes (different bases) of their canonical
 * JSON, and its length. Not cryptographic, and need not be: the cache is berth's own private
 * file, and a collision would need a change of the recorded specs that hashes the same twice.
 */
export function fingerprintSpecs(specs: ServiceSpec[]): string {
  const text = canonicalJson([...specs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
  }
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}.${text.length}`;
}

/** JSON with every object's keys sorted: the same specs give the same text whatever order their fields came in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.keys(value).sort().flatMap((k) => {
      const v = (value as Record<string, unknown>)[k];
      return v === undefined ? [] : [`${JSON.stringify(k)}:${canonicalJson(v)}`];
    });
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The cached entries, or undefined when there is no cache berth may trust (missing, foreign, corrupt, too large, another berth's). */
function readCache(dir: string, version: string): Entry[] | undefined {
  try {
    if (!isPrivateDir(dir)) return undefined;
    const fd = openPrivateRead(join(dir, DRIFT_CACHE_FILE));
    if (fd === undefined) return undefined;
    let text: string;
    try {
      const size = fstatSync(fd).size;
      if (size > MAX_CACHE_BYTES) return undefined;
      const buf = Buffer.alloc(size + 1);
      let n = 0;
      for (let got = 1; got > 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
      if (n > MAX_CACHE_BYTES) return undefined;
      text = buf.toString('utf8', 0, n);
    } finally {
      closeSync(fd);
    }
    const doc = JSON.parse(text) as unknown;
    return isCacheDoc(doc, version) ? doc.entries : undefined;
  } catch {
    return undefined;
  }
}

const FIELD_NAMES: ReadonlySet<string> = new Set(SPEC_FIELDS);
const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function isCacheDoc(doc: unknown, version: string): doc is CacheDoc {
  return isRecord(doc) && doc.kind === KIND && doc.format === FORMAT && doc.berth === version && Array.isArray(doc.entries) && doc.entries.length <= MAX_CACHED_FILES && doc.entries.every(isEntry);
}

function isEntry(e: unknown): e is Entry {
  return (
    isRecord(e) &&
    typeof e.file === 'string' &&
    typeof e.key === 'string' &&
    typeof e.specs === 'string' &&
    typeof e.judgedAt === 'number' &&
    Number.isFinite(e.judgedAt) &&
    isStrings(e.dirs) &&
    isRecord(e.envFiles) &&
    Object.values(e.envFiles).every((k) => typeof k === 'string') &&
    isRecord(e.drift) &&
    Object.values(e.drift).every((fields) => isStrings(fields) && fields.length > 0 && fields.every((f) => FIELD_NAMES.has(f)))
  );
}

/** Writes the cache whole to a new private file and renames it into place; any failure leaves the cache as it was (or absent). */
function writeCache(dir: string, doc: CacheDoc): void {
  let entries = doc.entries;
  let text = JSON.stringify(doc);
  while (Buffer.byteLength(text) > MAX_CACHE_BYTES && entries.length > 0) {
    entries = entries.slice(0, -1);
    text = JSON.stringify({ ...doc, entries });
  }
  const temp = join(dir, `.${DRIFT_CACHE_FILE}.${process.pid}.${Math.random().toString(36).slice(2, 10)}`);
  let created = false;
  try {
    // the home is berth's (the registry was opened in it); the cache directory is made 0700 if missing
    ensurePrivateDir(dir);
    const fd = openChecked(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    created = true;
    try {
      const bytes = Buffer.from(text);
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, join(dir, DRIFT_CACHE_FILE));
  } catch {
    if (created) rmSync(temp, { force: true });
  }
}
