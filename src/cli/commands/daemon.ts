// berth daemon start|stop|status
import type { Context } from '../context.ts';
import { UsageError } from '../../core/errors.ts';

export async function run(ctx: Context, action: string): Promise<number> {
  const client = await ctx.client();
  switch (action) {
    case 'start': {
      const before = await client.probe();
      const status = before ?? (await client.ensureDaemon());
      if (ctx.json) ctx.out.json({ running: true, alreadyRunning: before !== undefined, ...status });
      else ctx.out.line(`${before ? 'berthd already running' : 'berthd started'} (pid ${status.pid}) for ${status.home}`);
      return 0;
    }
    case 'stop': {
      const status = await client.probe();
      if (status) {
        await client.shutdown();
        while (await client.probe()) await new Promise((r) => setTimeout(r, 20));
      }
      if (ctx.json) ctx.out.json({ running: false, stopped: status ? status.pid : null });
      else ctx.out.line(status ? `berthd (pid ${status.pid}) stopped; services keep running` : 'berthd was not running');
      return 0;
    }
    case 'status': {
      const status = await client.probe();
      if (ctx.json) ctx.out.json(status ? { running: true, ...status } : { running: false, home: ctx.home });
      else if (status) ctx.out.line(`berthd ${status.version} running (pid ${status.pid}) since ${status.startedAt}: ${status.services} services, RSS ${(status.rssBytes / 1048576).toFixed(1)} MiB`);
      else ctx.out.line(`berthd is not running for ${ctx.home} (it starts on demand)`);
      return 0;
    }
    default:
      throw new UsageError(`unknown daemon action ${JSON.stringify(action)}`, 'berth daemon start|stop|status');
  }
}
