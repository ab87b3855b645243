// Where a project's config file is, without reading it: the project finder asks this on every
// `berth run` and `berth port`, and only a found file is worth loading the YAML reader and the
// schema for (tens of milliseconds of start-up, docs/benchmarks.md "The hot verbs").
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const CONFIG_NAMES = ['berth.yaml', 'berth.yml', 'Procfile'];

/** The nearest berth.yaml, berth.yml or Procfile, from dir up to the root. */
export function findConfig(dir: string): string | undefined {
  let current = resolve(dir);
  for (;;) {
    for (const name of CONFIG_NAMES) {
      const path = join(current, name);
      if (existsSync(path)) return path;
    }
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}
