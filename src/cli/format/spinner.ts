// A spinner with elapsed time on a terminal; nothing at all when output is piped or JSON.
import type { Context } from '../context.ts';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export async function withSpinner<T>(ctx: Context, label: string, work: () => Promise<T>): Promise<T> {
  if (ctx.json || !process.stderr.isTTY) return work();
  const t0 = Date.now();
  let i = 0;
  const timer = setInterval(() => {
    process.stderr.write(`\r${FRAMES[i++ % FRAMES.length]} ${label}… ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }, 100);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    process.stderr.write('\r\x1b[K');
  }
}
