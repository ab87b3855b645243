// Why: a suite that must stay under CI's 10 minutes needs to know where its minutes go. This
// node:test reporter sums the top-level tests' durations per file and writes the files, slowest
// first, one "seconds<TAB>file" line each; test/run.mjs prints the slowest after a run.
import { relative } from 'node:path';

export default async function* durations(source) {
  const perFile = new Map();
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0 && event.data.file) {
      const file = relative(process.cwd(), event.data.file);
      perFile.set(file, (perFile.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0));
    }
  }
  for (const [file, ms] of [...perFile].sort((a, b) => b[1] - a[1])) yield `${(ms / 1000).toFixed(1)}\t${file}\n`;
}
