// berth dashboard [--open] [--json]: starts (or finds) the page in the daemon and prints its URL
// with a single-use code, once; --open hands the browser a private page that leads to it.
import type { Context } from '../context.ts';
import { openDashboard, openInBrowser, writeOpenPage } from '../../app/dashboard.ts';

export async function run(ctx: Context, opts: { open?: boolean }): Promise<number> {
  const doc = await openDashboard(ctx);
  if (ctx.json) ctx.out.json(doc);
  else ctx.out.line(doc.url);
  if (opts.open) {
    const opener = openInBrowser(writeOpenPage(ctx.home, doc.url));
    ctx.out.note(opener ? `berth: opened the dashboard with ${opener}` : 'berth: no xdg-open or open on PATH: open the URL above in your browser');
  }
  return 0;
}
