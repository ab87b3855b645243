// The doors stay thin: nothing under src/cli or src/mcp imports from src/core except types and
// errors (every verb goes through src/app), and the daemon imports nothing from the CLI.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(SRC, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** Every import statement of a file, whole (multi-line ones too). */
function imports(file: string): string[] {
  return readFileSync(join(SRC, file), 'utf8').match(/^(?:import|export)\b[^;]*?from\s+'[^']+';|^import\s+'[^']+';/gms) ?? [];
}

test('src/cli and src/mcp import from src/core only types and errors', () => {
  const offending: string[] = [];
  for (const file of [...sources('cli'), ...sources('mcp')]) {
    for (const stmt of imports(file)) {
      const from = /'([^']+)'/.exec(stmt)![1]!;
      if (!/^(\.\.\/)+core\//.test(from)) continue;
      if (/^import type\b/.test(stmt) || /\/core\/errors\.ts$/.test(from)) continue;
      offending.push(`${file}: ${stmt.replace(/\s+/g, ' ')}`);
    }
  }
  assert.deepEqual(offending, []);
});

test('src/daemon imports nothing from src/cli', () => {
  const offending = sources('daemon').flatMap((file) => imports(file).filter((s) => /'(\.\.\/)+cli\//.test(s)).map((s) => `${file}: ${s}`));
  assert.deepEqual(offending, []);
});
