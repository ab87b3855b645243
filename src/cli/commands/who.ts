// berth who <port|path>
import type { Context } from '../context.ts';
import type { ProcessInfo } from '../../core/inspect/process.ts';
import type { FileReport } from '../../core/inspect/holders.ts';
import type { KnownAs } from '../../core/known.ts';
import type { Owner } from '../../core/owner.ts';
import type { FileAnswer, PortAnswer } from '../../core/who.ts';
import { who } from '../../app/inspect.ts';
import { describeGit } from '../format/git.ts';
import { table } from '../format/table.ts';
import { ago, until } from '../format/time.ts';
import { unitOf } from '../format/unit.ts';

export function run(ctx: Context, text: string): number {
  const answer = who(ctx, text);
  if (ctx.json) {
    ctx.out.json(answer);
    return 0;
  }
  return 'port' in answer ? whoPort(ctx, answer) : whoPath(ctx, answer);
}

function processRow(p: ProcessInfo, owners: Record<number, Owner>): string[] {
  return [String(p.pid), p.user, ago(p.startedAt), owners[p.pid]?.session ?? '-', p.cwd ?? '?', p.command];
}

const PROCESS_HEADERS = ['PID', 'USER', 'STARTED', 'SESSION', 'CWD', 'COMMAND'];

function printKnown(ctx: Context, known: Record<number, KnownAs[]>): void {
  // a service is what the pid is (it holds the file as that service); a lock or a port is what it holds
  const what = (k: KnownAs): string => (k.kind === 'service' ? `is (part of) berth service "${k.name}"${k.declared ? ', which declares this file under its locks:' : ''}` : `holds ${k.kind} "${k.name}"`);
  for (const [pid, list] of Object.entries(known)) ctx.out.line(`berth: pid ${pid} ${list.map(what).join(' and ')}`);
}

/** One line per holder that runs in a systemd service (the unit to look at with systemctl), one per holder in a git worktree (which checkout it serves). */
function printPlaces(ctx: Context, processes: ProcessInfo[]): void {
  for (const p of processes) {
    const unit = unitOf(p);
    if (unit) ctx.out.line(`  pid ${p.pid} runs in systemd unit ${unit}`);
    const git = describeGit(p.git);
    if (git) ctx.out.line(`  pid ${p.pid} is in ${git}`);
  }
}

function whoPort(ctx: Context, answer: PortAnswer): number {
  const { port, listeners, claim } = answer;
  if (listeners.length === 0) ctx.out.line(`nothing listens on :${port}`);
  for (const l of listeners) {
    const addr = l.family === 'ipv6' ? `[${l.address}]` : l.address;
    ctx.out.line(`${l.protocol} ${addr}:${l.port}  (${l.protocol === 'tcp' ? 'listening' : 'bound'}, socket of ${l.user})`);
    if (l.processes.length === 0) ctx.out.line('  no process found (another user\'s, or in another namespace)');
    else for (const line of table(PROCESS_HEADERS, l.processes.map((p) => processRow(p, answer.owners)))) ctx.out.line(`  ${line}`);
    printPlaces(ctx, l.processes);
  }
  printKnown(ctx, answer.known);
  if (claim) {
    const owner = claim.owner ? ` by ${claim.owner.session}` : '';
    const expiry = claim.kind === 'lease' ? `, expires ${until(claim.expiresAt)}` : '';
    ctx.out.line(`berth: ${claim.kind} "${claim.name}"${owner}${expiry}: ${describeStatus(claim.status, claim.strangers)}`);
  } else if (listeners.length > 0) {
    ctx.out.line('berth: not reserved or leased by berth');
  }
  if (listeners.some((l) => l.processes.length > 0)) ctx.out.line(`to stop it safely (identity-checked, on the record): berth free ${port}`);
  if (answer.unreadable > 0) ctx.out.line(`(${answer.unreadable} processes could not be inspected)`);
  return 0;
}

function describeStatus(status: string, strangers: number[]): string {
  switch (status) {
    case 'ok':
      return 'held by its owner';
    case 'conflict':
      return `CONFLICT, held by ${strangers.map((p) => `pid ${p}`).join(', ')}, not its owner`;
    case 'idle':
      return 'nothing listens yet';
    default:
      return 'lapsed (expired, or its holder is gone)';
  }
}

function whoPath(ctx: Context, report: FileAnswer): number {
  // the companions' holders are folded into the database's, each with its role
  printFile(ctx, report, report.owners, report.companions.flatMap((c) => c.locks));
  if (report.journalMode !== null) ctx.out.line(`sqlite: ${report.journalMode === 'wal' ? 'WAL mode (readers do not block the writer)' : 'rollback-journal mode (readers and the writer block one another; enable WAL: PRAGMA journal_mode=WAL)'}`);
  printKnown(ctx, report.known);
  if (report.unreadable > 0) ctx.out.line(`(${report.unreadable} processes could not be inspected)`);
  return 0;
}

function printFile(ctx: Context, report: FileReport, owners: Record<number, Owner>, companionLocks: FileReport['locks'] = []): void {
  if (report.holders.length === 0 && report.locks.length === 0) {
    ctx.out.line(`nobody has ${report.path} open or locked`);
    return;
  }
  ctx.out.line(report.path);
  const rows = report.holders.map((h) => [
    ...processRow(h.process, owners).slice(0, 4),
    h.role,
    h.fds.map((f) => `fd ${f.fd} ${f.mode}${f.companion ? ` (${f.companion})` : ''}`).join(', ') || '-',
    h.locks.map((l) => `${l.companion ? `${l.companion}: ` : ''}${l.description}`).join('; ') || 'no lock',
    h.process.command,
  ]);
  for (const line of table(['PID', 'USER', 'STARTED', 'SESSION', 'ROLE', 'OPEN', 'LOCK', 'COMMAND'], rows)) ctx.out.line(`  ${line}`);
  printPlaces(ctx, report.holders.map((h) => h.process));
  const orphanLocks = [...report.locks, ...companionLocks].filter((l) => !report.holders.some((h) => h.locks.includes(l)));
  for (const l of orphanLocks) ctx.out.line(`  lock: ${l.companion ? `${l.companion}: ` : ''}${l.description}${l.pid > 0 ? ` (pid ${l.pid})` : ''}`);
}
