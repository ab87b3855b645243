// The sd_notify protocol, as berth understands it: a datagram of newline-separated KEY=VALUE
// lines (READY=1, WATCHDOG=1, STATUS=…, MAINPID=N, STOPPING=1), the same text a service sends
// to systemd. Parsing is pure and bounded here; who may send (the instance tree, checked by
// the sender's kernel credentials) is the shell's part, the socket the daemon's
// (src/daemon/notify-socket.ts). See docs/decisions/0024-notify-socket.md.
import { socketPlace, type SocketPlace } from '../socket-path.ts';

/** STATUS= is shown in ps: one line, at most this many characters. */
export const STATUS_MAX_CHARS = 200;
/** A datagram larger than this is not a notification (systemd takes at most a page too). */
export const NOTIFY_MAX_BYTES = 4096;

export interface NotifyMessage {
  ready: boolean;
  watchdog: boolean;
  stopping: boolean;
  /** STATUS=, made one printable line of at most STATUS_MAX_CHARS; null when absent */
  status: string | null;
  /** MAINPID=, when a positive whole number */
  mainPid: number | null;
}

/** Reads one notification; unknown keys (systemd has more) are ignored, as systemd ignores them. */
export function parseNotify(text: string): NotifyMessage {
  const msg: NotifyMessage = { ready: false, watchdog: false, stopping: false, status: null, mainPid: null };
  for (const line of text.slice(0, NOTIFY_MAX_BYTES).split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key === 'READY' && value === '1') msg.ready = true;
    else if (key === 'WATCHDOG' && value === '1') msg.watchdog = true;
    else if (key === 'STOPPING' && value === '1') msg.stopping = true;
    else if (key === 'STATUS') msg.status = oneLine(value);
    else if (key === 'MAINPID' && /^[1-9]\d{0,9}$/.test(value)) msg.mainPid = Number(value);
  }
  return msg;
}

/** Control characters escaped (\xNN), cut to STATUS_MAX_CHARS with an ellipsis. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const chars = [...escaped];
  return chars.length <= STATUS_MAX_CHARS ? escaped : `${chars.slice(0, STATUS_MAX_CHARS - 1).join('')}…`;
}

/**
 * Where the daemon receives notifications: $BERTH_HOME/notify.sock (the home is 0700), or, when
 * that path does not fit in sun_path, the short path in berth's own /tmp/berth-UID (0700,
 * checked like the home). Never an abstract name: any user could bind that first (decision 0024).
 */
export function notifyAddress(home: string): SocketPlace {
  return socketPlace(home, 'notify.sock');
}
