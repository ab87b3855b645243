// The competitors berth is measured beside, installed for one benchmark run only: pm2 into a
// temporary prefix (never globally, never into berth's own dependencies). BENCH_PM2=<path of a
// pm2 binary> reuses one already installed (bench/run.mjs passes its own to the scripts it runs).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** pm2's binary under `dir` (installed there now), BENCH_PM2's, or null if it cannot be installed. */
export function installPm2(dir) {
  if (process.env.BENCH_PM2) return process.env.BENCH_PM2;
  try {
    execFileSync('npm', ['install', '--silent', '--no-save', '--prefix', dir, 'pm2'], { stdio: 'ignore' });
    return join(dir, 'node_modules/.bin/pm2');
  } catch {
    return null;
  }
}
