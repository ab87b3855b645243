// berth dashboard [--open] [--json]: starts (or finds) the page in the daemon and prints its URL
// with the token, once; --open hands it to the browser.
import type { Context } from '../context.ts';
import { openDashboard, openInBrowser } from '../../app/dashboard.ts';

export async function run(ctx: Context, opts: { open?: boolean }): Promise<number> {
  const doc = await openDashboard(ctx);
  if (ctx.json) ctx.out.json(doc);
  else ctx.out.line(doc.url);
  if (opts.open) {
    const opener = openInBrowser(doc.url);
    ctx.out.note(opener ? `berth: opened the dashboard with ${opener}` : 'berth: no xdg-open or open on PATH: open the URL above in your browser');
  }
  return 0;
}
