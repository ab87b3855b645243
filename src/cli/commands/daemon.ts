// berth daemon start|stop|status
import type { Context } from '../context.ts';
import { daemonStart, daemonStatus, daemonStop, parseDaemonAction } from '../../app/daemon.ts';

export async function run(ctx: Context, actionArg: string): Promise<number> {
  const action = parseDaemonAction(actionArg);
  if (action === 'start') {
    const doc = await daemonStart(ctx);
    if (ctx.json) ctx.out.json(doc);
    else ctx.out.line(`${doc.alreadyRunning ? 'berthd already running' : 'berthd started'} (pid ${doc.pid}) for ${doc.home}`);
  } else if (action === 'stop') {
    const doc = await daemonStop(ctx);
    if (ctx.json) ctx.out.json(doc);
    else ctx.out.line(doc.stopped !== null ? `berthd (pid ${doc.stopped}) stopped; services keep running` : 'berthd was not running');
  } else {
    const doc = await daemonStatus(ctx);
    if (ctx.json) ctx.out.json(doc);
    else {
      if (doc.running) ctx.out.line(`berthd ${doc.version} running (pid ${doc.pid}) since ${doc.startedAt}: ${doc.servicesRunning} running, ${doc.services} recorded services, RSS ${(doc.rssBytes / 1048576).toFixed(1)} MiB`);
      else ctx.out.line(`berthd is not running for ${doc.home} (it starts on demand)`);
      if (doc.socketFallback) ctx.out.line(`socket: ${doc.socket} (the home's path is too long for a Unix socket)`);
    }
  }
  return 0;
}
