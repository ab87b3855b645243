// Units for systemd that keep berth's safety when a service graduates to the OS: a restart
// that never gives up for good (StartLimitIntervalSec=0, a delay between tries), and for
// on_conflict: evict services the incident report's pre-start port clean-up, done safely
// (`berth free PORT --force --quiet`: identity-checked and on the record) in a drop-in of its
// own, so it survives edits of the unit. A service that speaks sd_notify under berth (health:
// notify, watchdog:) keeps doing so under systemd: Type=notify, WatchdogSec=, and NotifyAccess=all
// (berth, too, takes a notification from any process of the service's tree).
import { NOTIFY_HEALTH, type ServiceSpec } from '../core/supervisor/spec.ts';

export interface ExportedFile {
  path: string;
  content: string;
}

export interface UnitOptions {
  user: boolean;
  /** the argv that runs the berth CLI, e.g. [node, /…/dist/cli/main.js] */
  berth: string[];
  home: string;
  dependsOn: string[];
}

const RESTART: Record<ServiceSpec['restart'], string> = { always: 'always', 'on-failure': 'on-failure', never: 'no' };

/** Quotes one ExecStart word the way systemd reads it: "…" with \\ and " escaped, and a literal % doubled. */
export function systemdWord(word: string): string {
  const escaped = word.replace(/%/g, '%%');
  if (/^[A-Za-z0-9_@%+=:,./$-]+$/.test(escaped) && escaped !== '') return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A literal value for a unit setting: systemd reads % as the start of a specifier. */
const literal = (text: string): string => text.replace(/%/g, '%%');

function environmentLine(name: string, value: string): string {
  return `Environment=${systemdWord(`${name}=${value}`)}`;
}

/** `berth-<project>-<service>.service`: a unit name has no '/', so the full name's separator becomes '-'. */
export function unitName(name: string): string {
  return `berth-${name.replace('/', '-')}.service`;
}

/** WatchdogSec= takes seconds with a unit suffix; "1500ms" keeps a sub-second interval exact. */
function watchdogSec(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Type= and the sd_notify settings: what `health: notify` and `watchdog:` mean to systemd. */
function notifyLines(spec: ServiceSpec): string[] {
  const notify = spec.health === NOTIFY_HEALTH;
  const watchdog = spec.watchdogMs !== undefined && spec.watchdogMs > 0 ? spec.watchdogMs : null;
  if (!notify && watchdog === null) return ['Type=simple'];
  return [
    // READY=1 is what makes it started, as under berth
    notify ? 'Type=notify' : 'Type=simple',
    // berth takes notifications from any process of the service's tree
    'NotifyAccess=all',
    ...(watchdog !== null
      ? [
          '# no WATCHDOG=1 (sd_notify) within this long and systemd stops it; Restart= brings it back.',
          '# `berth beat` talks to the berth daemon, not to systemd: send sd_notify instead.',
          `WatchdogSec=${watchdogSec(watchdog)}`,
        ]
      : []),
  ];
}

/** The unit (and, for evict services, the drop-in) of one service. */
export function systemdUnit(spec: ServiceSpec, port: number | null, opts: UnitOptions): ExportedFile[] {
  const deps = opts.dependsOn.map(unitName);
  const env = { ...spec.env, BERTH_SERVICE: spec.name, ...(port !== null ? { PORT: String(port) } : {}) };
  const unit = [
    '[Unit]',
    `Description=${literal(spec.purpose ?? spec.name)} (berth service ${spec.name})`,
    `After=network.target${deps.length ? ` ${deps.join(' ')}` : ''}`,
    ...(deps.length ? [`Wants=${deps.join(' ')}`] : []),
    '# never give up for good: a squatted port or a crash loop is retried until it clears',
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    ...notifyLines(spec),
    `WorkingDirectory=${literal(spec.cwd)}`,
    ...Object.entries(env).map(([k, v]) => environmentLine(k, v)),
    `ExecStart=${spec.argv.map(systemdWord).join(' ')}`,
    `Restart=${RESTART[spec.restart]}`,
    'RestartSec=2',
    // an exit 0 is "already running" or a clean stop: not a failure
    'SuccessExitStatus=0',
    'KillMode=control-group',
    'TimeoutStopSec=10',
    '',
    '[Install]',
    `WantedBy=${opts.user ? 'default.target' : 'multi-user.target'}`,
    '',
  ].join('\n');
  const files: ExportedFile[] = [{ path: unitName(spec.name), content: unit }];
  if (spec.onConflict === 'evict' && port !== null) {
    files.push({
      path: `${unitName(spec.name)}.d/10-berth-free-port.conf`,
      content: [
        '# Written by `berth export systemd` for a service with on_conflict: evict.',
        '# Before each start, stop whatever squats the port: identity-checked, graceful, recorded in',
        "# berth's audit log (berth events). A process of another user is never touched.",
        '[Service]',
        environmentLine('BERTH_HOME', opts.home),
        `ExecStartPre=${[...opts.berth, 'free', String(port), '--force', '--quiet'].map(systemdWord).join(' ')}`,
        '',
      ].join('\n'),
    });
  }
  return files;
}
