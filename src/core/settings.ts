// Everything berth reads from its environment, resolved once per process and passed down: where
// the home is, where the daemon's socket and logs are, which ports berth may lease, how large a
// log may grow. Before this, BERTH_PORT_RANGE was parsed in five places, the socket path was
// built twice and the daemon log path three times, so two parts of one process (or the CLI and
// the daemon) could disagree. Nothing here touches the disk: resolving settings creates no state.
// Which range wins between the CLI and the daemon: docs/decisions/0012-settings.md.
import { resolveHome } from './home.ts';
import { socketPlace, type SocketPlace } from './socket-path.ts';
import { DEFAULT_LOG_MAX_BYTES, logPath } from './supervisor/logs.ts';
import { parsePortRange, type PortRange } from './validate.ts';

export interface Settings {
  /** $BERTH_HOME, else $XDG_STATE_HOME/berth, else ~/.local/state/berth (macOS: ~/Library/Application Support/berth) */
  home: string;
  /** the daemon's API socket */
  socketPath: string;
  /** the daemon's own output */
  daemonLogPath: string;
  /** the ports berth leases from (BERTH_PORT_RANGE) */
  portRange: PortRange;
  /** the size a service log is rotated at (BERTH_LOG_MAX_BYTES) */
  logMaxBytes: number;
}

/** The daemon's log file, relative to the home's logs/ directory. */
export const DAEMON_LOG_FILE = 'berthd.log';

/** Reads the settings from an environment; throws UsageError (invalid_port_range) on a bad range. */
export function resolveSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const home = resolveHome(env);
  const maxBytes = Number(env.BERTH_LOG_MAX_BYTES);
  return {
    home,
    socketPath: socketPathOf(home),
    daemonLogPath: logPath(home, 'berthd'),
    portRange: parsePortRange(env.BERTH_PORT_RANGE),
    logMaxBytes: Number.isSafeInteger(maxBytes) && maxBytes > 0 ? maxBytes : DEFAULT_LOG_MAX_BYTES,
  };
}

/** The daemon's socket of a home: in the home, or a short path when the home's is too long (socket-path.ts). */
export function socketPathOf(home: string): string {
  return daemonSocketPlace(home).path;
}

/** The daemon's socket of a home, and whether it is the short fallback outside the home. */
export function daemonSocketPlace(home: string): SocketPlace {
  return socketPlace(home, 'berthd.sock');
}

/** A service's log file under the settings' home. */
export function serviceLogPath(settings: Settings, name: string): string {
  return logPath(settings.home, name);
}
