// Poll against a deadline; never a fixed sleep.
import { readFileSync } from 'node:fs';

export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${opts.what ?? 'a condition'}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 20));
  }
}

/** Waits until a file exists with some content (a process under test writes it), and returns that content. */
export function waitForFile(path: string, what: string): Promise<string> {
  return waitFor(() => {
    try {
      return readFileSync(path, 'utf8') || undefined;
    } catch {
      return undefined;
    }
  }, { what });
}
