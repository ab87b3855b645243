// launchd property lists for berth services. KeepAlive is SuccessfulExit=false, so a clean exit
// (a duplicate's "already running", exit 0) is not respawned forever, while a crash is, no
// faster than ThrottleInterval. launchd has no pre-start hook: for on_conflict: evict the
// program is wrapped so that `berth free PORT` runs first (freeThenExec: no value is ever shell
// text). launchd has no readiness notification and no watchdog: a service's `health: notify` and `watchdog:` are not kept, and
// the plist says so in a comment.
import { NOTIFY_HEALTH, type ServiceSpec } from '../core/supervisor/spec.ts';
import type { ExportedFile } from './systemd.ts';

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** `com.berth.<project>.<service>`: the label is a file name too, so the full name's '/' becomes '.'. */
export function launchdLabel(name: string): string {
  return `com.berth.${name.replace('/', '.')}`;
}

/**
 * The pre-start for launchd, which has no ExecStartPre=: `/bin/sh -c SCRIPT` where SCRIPT is a
 * constant (built from argument counts only) and every value (the berth CLI's absolute node and
 * script paths, resolved at export time; the port; the service's argv) is a positional parameter,
 * never text the shell parses, so no quoting can go wrong. The rule is systemd's: `berth free PORT
 * --force --quiet` first (exit 0 also when nothing holds the port), and if it fails (a holder it
 * may not stop) the service does not start: the job exits with free's code, and KeepAlive tries
 * again after ThrottleInterval, as Restart= does after a failed ExecStartPre=.
 */
export function freeThenExec(berth: string[], port: number, argv: string[]): string[] {
  const param = (i: number): string => `"\${${i}}"`;
  const berthWords = berth.map((_, i) => param(i + 1));
  const script = `${berthWords.join(' ')} free ${param(berth.length + 1)} --force --quiet || exit $?; shift ${berth.length + 1}; exec "$@"`;
  return ['/bin/sh', '-c', script, 'berth-free-then-exec', ...berth, String(port), ...argv];
}

export function launchdPlist(spec: ServiceSpec, port: number | null, opts: { berth: string[]; home: string; logPath: string }): ExportedFile {
  // launchd does not expand $PORT: put the port in the arguments here
  const argv = spec.argv.map((a) => (port === null ? a : a.replaceAll('${PORT}', String(port)).replaceAll('$PORT', String(port))));
  const program = spec.onConflict === 'evict' && port !== null ? freeThenExec(opts.berth, port, argv) : argv;
  const env = { ...spec.env, BERTH_SERVICE: spec.name, BERTH_HOME: opts.home, ...(port !== null ? { PORT: String(port) } : {}) };
  const keepAlive = spec.restart === 'never' ? '<false/>' : '<dict>\n    <key>SuccessfulExit</key>\n    <false/>\n  </dict>';
  const lost = [spec.health === NOTIFY_HEALTH ? 'health: notify (READY=1)' : null, spec.watchdogMs ? 'watchdog (WATCHDOG=1)' : null].filter((x) => x !== null);
  const note = lost.length > 0 ? `<!-- launchd has no equivalent of ${lost.join(' or ')}: not kept here. A hung service is not restarted. -->\n` : '';
  const content = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
${note}<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${xml(launchdLabel(spec.name))}</string>
  <key>ProgramArguments</key>
  <array>
${program.map((a) => `    <string>${xml(a)}</string>`).join('\n')}
  </array>
  <key>WorkingDirectory</key>
  <string>${xml(spec.cwd)}</string>
  <key>EnvironmentVariables</key>
  <dict>
${Object.entries(env).map(([k, v]) => `    <key>${xml(k)}</key>\n    <string>${xml(v)}</string>`).join('\n')}
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  ${keepAlive}
  <key>ThrottleInterval</key>
  <integer>5</integer>
  <key>StandardOutPath</key>
  <string>${xml(opts.logPath)}</string>
  <key>StandardErrorPath</key>
  <string>${xml(opts.logPath)}</string>
</dict>
</plist>
`;
  return { path: `${launchdLabel(spec.name)}.plist`, content };
}
