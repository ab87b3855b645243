// berth port NAME [--ttl 2h] | berth port --reserve NAME PORT | berth port --release NAME
import type { Context } from '../context.ts';
import { UsageError } from '../../core/errors.ts';
import { leasePort, releasePort, reservePort } from '../../core/ports/ports.ts';
import { parseDuration, parseName, parsePort } from '../../core/validate.ts';

interface PortOptions {
  ttl?: string;
  reserve?: boolean;
  release?: boolean;
}

export function run(ctx: Context, nameArg: string, portArg: string | undefined, opts: PortOptions): number {
  const name = parseName(nameArg);
  if (opts.reserve && opts.release) throw new UsageError('--reserve and --release cannot be used together');
  if (opts.release) {
    if (portArg !== undefined || opts.ttl !== undefined) throw new UsageError('--release takes only a name', 'berth port --release NAME');
    const released = releasePort(ctx.registry(), ctx.caller, name);
    if (ctx.json) ctx.out.json({ released });
    else ctx.out.line(`released ${released.kind} of port ${released.port} for "${name}"`);
    return 0;
  }
  if (opts.reserve) {
    if (portArg === undefined) throw new UsageError('--reserve needs a port', 'berth port --reserve NAME PORT');
    if (opts.ttl !== undefined) throw new UsageError('a reservation has no TTL: it lasts until released');
    const reserved = reservePort(ctx.registry(), ctx.caller, name, parsePort(portArg));
    if (ctx.json) ctx.out.json(reserved);
    else ctx.out.line(`${reserved.port} reserved for "${name}"${reserved.created ? '' : ' (already)'}`);
    return 0;
  }
  if (portArg !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(portArg)}`, 'to reserve a port: berth port --reserve NAME PORT');
  const ttlMs = opts.ttl === undefined ? undefined : parseDuration(opts.ttl, '--ttl');
  const range = ctx.settings.portRange;
  const lease = leasePort(ctx.registry(), ctx.caller, name, { ...(ttlMs === undefined ? {} : { ttlMs }), range });
  // Plain output is the port alone, so that PORT=$(berth port web) works.
  if (ctx.json) ctx.out.json(lease);
  else ctx.out.line(String(lease.port));
  return 0;
}
