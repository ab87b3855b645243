// berth port NAME [--ttl 2h] | berth port --reserve NAME PORT | berth port --release NAME
import type { Context } from '../context.ts';
import { portVerb } from '../../app/ports.ts';

interface PortOptions {
  ttl?: string;
  reserve?: boolean;
  release?: boolean;
  project?: string;
}

export async function run(ctx: Context, name: string, port: string | undefined, opts: PortOptions): Promise<number> {
  const result = await portVerb(ctx, { name, ...(opts.project !== undefined ? { project: opts.project } : {}), ...(port !== undefined ? { port } : {}), ...(opts.ttl !== undefined ? { ttl: opts.ttl } : {}), reserve: opts.reserve === true, release: opts.release === true });
  if (ctx.json) ctx.out.json(result.doc);
  else if (result.kind === 'release') ctx.out.line(`released ${result.doc.released.kind} of port ${result.doc.released.port} for "${result.doc.released.name}"`);
  else if (result.kind === 'reserve') ctx.out.line(`${result.doc.port} reserved for "${result.doc.name}"${result.doc.created ? '' : ' (already)'}`);
  // Plain output is the port alone, so that PORT=$(berth port web) works.
  else ctx.out.line(String(result.doc.port));
  return 0;
}
