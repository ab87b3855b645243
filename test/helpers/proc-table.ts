// Finds processes by their exact argv, to count what a test really has running.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * With `withEnv` (say `BERTH_HOME=…`), only processes carrying that entry in their environment:
 * test files run concurrently, and another file may run the same command at the same moment.
 */
export function pidsWithArgv(argv: string[], withEnv?: string): number[] {
  const want = `${argv.join('\0')}\0`;
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8') !== want) continue;
      if (withEnv !== undefined && !readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(withEnv)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z') out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}
