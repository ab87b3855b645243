// ps with explicit output columns (`-o name=`, no headers), the only ps format berth reads.
// The keywords are ones macOS ps and Linux procps ps both know: pid ppid pgid tty state ruid
// uid svuid rss lstart ucomm. Where they differ berth picks per platform:
//   sess   procps: the session id; macOS: a kernel pointer to the session, not an id (the
//          session is then 0, "cannot tell", as the ProcStat contract allows)
//   tty    procps: "pts/3" or "?"; macOS: "ttys001" or "??" (none: 0, else a nonzero number)
//   state  procps: one letter; macOS: letters and flags ("Ss"): the first letter is kept
// lstart is fixed-width text in the C locale, "Tue Nov 24 00:04:54 2026", in UTC (ps runs with TZ=UTC0),
// whole seconds. ucomm is last because it may hold spaces.
import type { ProcStat } from '../backend.ts';

export const STAT_COLUMNS = 'pid=,ppid=,pgid=,sess=,tty=,state=,ruid=,uid=,svuid=,rss=,lstart=,ucomm=';

export interface PsRow {
  stat: Omit<ProcStat, 'startTicks'>;
  /** the start time, epoch seconds */
  startSec: number;
  /** real, effective, saved uid */
  uids: number[];
  rssKiB: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Tue Nov 24 00:04:54 2026" (local time) as epoch seconds; undefined when not that shape. */
export function parseLstart(words: string[]): number | undefined {
  const [, mon, day, time, year] = words;
  const m = MONTHS.indexOf(mon ?? '');
  const hms = /^(\d\d?):(\d\d):(\d\d)$/.exec(time ?? '');
  if (m < 0 || hms === null || !/^\d+$/.test(day ?? '') || !/^\d{4}$/.test(year ?? '')) return undefined;
  // ps runs with TZ=UTC0 (run.ts): no time zone change under a long-lived daemon, no repeated DST hour
  const date = new Date(Date.UTC(Number(year), m, Number(day), Number(hms[1]), Number(hms[2]), Number(hms[3])));
  return Math.floor(date.getTime() / 1000);
}

/** A terminal name as a number: 0 for none; Linux names encoded as the kernel's tty_nr. */
export function ttyNumber(name: string): number {
  if (name === '?' || name === '??' || name === '-' || name === '') return 0;
  const pts = /^pts\/(\d+)$/.exec(name);
  if (pts) return encodeDev(136 + (Number(pts[1]) >> 8), Number(pts[1]) & 0xff);
  const vt = /^tty(\d+)$/.exec(name);
  if (vt) return encodeDev(4, Number(vt[1]));
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h === 0 ? 1 : h;
}

function encodeDev(major: number, minor: number): number {
  return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

/** One row of `ps -o STAT_COLUMNS`; undefined for a row of another shape. */
export function parsePsRow(line: string, platform: NodeJS.Platform = process.platform): PsRow | undefined {
  const words = line.trim().split(/\s+/);
  if (words.length < 16) return undefined;
  const n = (i: number): number => Number(words[i]);
  const nums = [0, 1, 2, 6, 7, 8, 9].map(n);
  if (!nums.every(Number.isInteger)) return undefined;
  const startSec = parseLstart(words.slice(10, 15));
  if (startSec === undefined) return undefined;
  const sess = words[3]!;
  return {
    stat: {
      pid: n(0),
      ppid: n(1),
      pgid: n(2),
      sid: platform === 'darwin' || !/^\d+$/.test(sess) ? 0 : Number(sess),
      ttyNr: ttyNumber(words[4]!),
      state: words[5]![0] ?? '?',
      comm: line.trim().split(/\s+/).slice(15).join(' '),
    },
    uids: [n(6), n(7), n(8)],
    rssKiB: n(9),
    startSec,
  };
}

export function parsePsRows(text: string, platform: NodeJS.Platform = process.platform): PsRow[] {
  const rows: PsRow[] = [];
  for (const line of text.split('\n')) {
    const row = parsePsRow(line, platform);
    if (row !== undefined) rows.push(row);
  }
  return rows;
}

/**
 * argv from `ps -o command=`, which joins the arguments with single spaces: split on single
 * spaces. An argument that holds a space comes back as two; an empty one as "". (Not /proc:
 * the portable backend must answer on macOS from what ps prints.) Kernel threads and zombies
 * ("[kthreadd]", "<defunct>") have none.
 */
export function splitCommand(command: string, state: string): string[] {
  if (state === 'Z' || command.length === 0 || (command.startsWith('[') && command.endsWith(']'))) return [];
  return command.split(' ');
}
