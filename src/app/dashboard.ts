// `berth dashboard`, and the context the dashboard acts in. The page is one more door onto the
// app functions (decision 0011): the daemon's HTTP routes call the same listServices, stopVerb,
// freeTarget… the CLI calls, with a DashboardSession in place of the CLI's Context. It acts for
// the session that opened the page (the `berth dashboard` that printed the URL), named on the
// record as "dashboard:<browser session> (pid <daemon pid>)", so the ownership rule holds for a
// click as for a command (docs/decisions/0025-dashboard-server.md).
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, unlinkSync, writeSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isErrno } from '../core/errors.ts';
import { openChecked } from '../core/private-fs.ts';
import type { Owner } from '../core/owner.ts';
import type { Caller } from '../core/owner.ts';
import type { Registry } from '../core/registry/registry.ts';
import { Session } from './session.ts';

/** `dashboard --json`: where the page is, with the single-use code that lets one browser in. */
export interface DashboardDocument {
  url: string;
}

/** Starts the page in the daemon (or finds it running) and returns its URL with a new code. */
export async function openDashboard(session: Session): Promise<DashboardDocument> {
  return (await session.client()).dashboard(session.requester());
}

/** The page `--open` hands to the browser in place of the URL, in the home. */
export const OPEN_PAGE_FILE = 'dashboard-open.html';

/**
 * Writes a 0600 page in the home that sends the browser on to url, and returns its file:// URL.
 * `--open` hands this to xdg-open, never the URL itself: a program's argv is readable by every
 * user in /proc/PID/cmdline, the file in the 0700 home is not (as Jupyter does).
 */
export function writeOpenPage(home: string, url: string): string {
  const path = join(home, OPEN_PAGE_FILE);
  try {
    unlinkSync(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  const href = url.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
  const fd = openChecked(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, `<!doctype html>\n<meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${href}">\n<title>berth</title><p><a href="${href}">Open berth's dashboard</a></p>\n`);
  } finally {
    closeSync(fd);
  }
  return pathToFileURL(path).href;
}

/** The programs that open a URL in the user's browser, in the order tried. */
const OPENERS = ['xdg-open', 'open'];

/**
 * Opens url with xdg-open (or macOS's open) when one is on PATH, without waiting for it; returns
 * the program used, or null when there is none (the caller says so).
 */
export function openInBrowser(url: string, path = process.env.PATH ?? ''): string | null {
  for (const program of OPENERS) {
    for (const dir of path.split(delimiter)) {
      if (dir === '') continue;
      const file = join(dir, program);
      try {
        accessSync(file, constants.X_OK);
      } catch {
        continue;
      }
      spawn(file, [url], { detached: true, stdio: 'ignore' }).on('error', () => {}).unref();
      return program;
    }
  }
  return null;
}

/**
 * The dashboard's Session, inside the daemon: the daemon's own registry (not a second
 * connection), and the opener's owner with the browser session as the actor. Its client() is
 * the daemon's socket API, so an action takes exactly the path a CLI verb takes.
 */
export class DashboardSession extends Session {
  private readonly shared: Registry;
  private readonly acting: Caller;

  constructor(opts: { browserSession: string; owner: Owner; registry: Registry }) {
    super({ actor: `dashboard:${opts.browserSession} (pid ${process.pid})` });
    this.shared = opts.registry;
    this.acting = { actor: this.actor, owner: opts.owner };
  }

  override get caller(): Caller {
    return this.acting;
  }

  override registry(): Registry {
    return this.shared;
  }

  override existingRegistry(): Registry {
    return this.shared;
  }

  /** the registry is the daemon's: it stays open */
  override close(): void {}
}
