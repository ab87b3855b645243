// POST /v1/dashboard: starts the dashboard on first use and hands out its URL. Kept apart from
// dashboard.ts so that berthd imports only this: the HTTP server, the page and the app functions
// behind its routes (berth.yaml parsing among them) are loaded when someone first asks for the
// page, and a daemon whose page is never opened stays as small as before (npm run bench).
import type { Requester } from '../core/supervisor/api.ts';
import type { Dashboard, DashboardDeps } from './dashboard.ts';

export interface DashboardDoor {
  open(who: Requester): Promise<{ url: string }>;
  close(): void;
}

/** The dashboard of this daemon, started once on the first open(). */
export function dashboardDoor(deps: DashboardDeps): DashboardDoor {
  let started: Promise<Dashboard> | undefined;
  let closed = false;
  return {
    async open(who) {
      started ??= import('./dashboard.ts').then((m) => m.startDashboard(deps));
      try {
        const dashboard = await started;
        if (closed) dashboard.close();
        return dashboard.open(who);
      } catch (err) {
        // a failed start (the port taken thrice) is tried again on the next open
        started = undefined;
        throw err;
      }
    },
    close() {
      closed = true;
      void started?.then((d) => d.close()).catch(() => {});
    },
  };
}
