// berth adopt NAME (--pid N | --port P | --pidfile FILE) [--restart POLICY] [--health SPEC] [--purpose TEXT]
import type { Context } from '../context.ts';
import { adoptProcess } from '../../app/adopt.ts';
import { where } from '../format/service.ts';

export async function run(ctx: Context, name: string, opts: { pid?: string; port?: string; pidfile?: string; restart?: string; health?: string; purpose?: string; project?: string }): Promise<number> {
  const doc = await adoptProcess(ctx, {
    name,
    ...(opts.pid !== undefined ? { pid: opts.pid } : {}),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.pidfile !== undefined ? { pidfile: opts.pidfile } : {}),
    ...(opts.restart !== undefined ? { restart: opts.restart } : {}),
    ...(opts.health !== undefined ? { health: opts.health } : {}),
    ...(opts.purpose !== undefined ? { purpose: opts.purpose } : {}),
    ...(opts.project !== undefined ? { project: opts.project } : {}),
  });
  if (ctx.json) ctx.out.json(doc);
  else {
    ctx.out.line(`${doc.outcome === 'adopted' ? 'adopted' : 'already adopted:'} ${doc.service.fullName} (${where(doc.service)})`);
    for (const warning of doc.warnings) ctx.out.note(`berth: warning: ${warning}`);
  }
  return 0;
}
