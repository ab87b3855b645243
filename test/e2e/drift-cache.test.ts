// `berth ps` in a berth.yaml project judges config drift from the cache while nothing changed
// (decision 0034): BERTH_PROFILE=1 shows no 'judge config drift' phase, the phase that loads the
// berth.yaml reader (yaml + zod). An edit of the file (same size) is marked at the next ps, and
// `berth up` recreating the service (a new recorded spec, the file unchanged) clears the mark.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { berth, ok } from '../helpers/cli.ts';
import { daemonHome } from '../helpers/daemon.ts';
import { tempDir } from '../helpers/home.ts';
import { waitFor } from '../helpers/wait.ts';

const SERVICE = fileURLToPath(new URL('../fixtures/service.mjs', import.meta.url));
const node = process.execPath;

interface Ps {
  judged: boolean;
  drift: Record<string, string[] | undefined>;
}

test('ps reuses the drift judgement while berth.yaml and the recorded specs are unchanged, and sees an edit and a recreate', async (t) => {
  const { env, home } = daemonHome(t);
  const dir = tempDir(t);
  const file = join(dir, 'berth.yaml');
  writeFileSync(file, `services:\n${['web', 'api'].map((n) => `  ${n}:\n    run: ["${node}", "${SERVICE}"]\n    purpose: aaaa\n`).join('')}`);
  ok(await berth(['up', '--json'], { env, cwd: dir }));

  const ps = async (): Promise<Ps> => {
    const r = ok(await berth(['ps', '--json'], { env: { ...env, BERTH_PROFILE: '1' }, cwd: dir }));
    const line = r.stderr.split('\n').find((l) => l.startsWith('berth-profile '));
    assert.ok(line, `a profile line:\n${r}`);
    const phases = (JSON.parse(line.slice('berth-profile '.length)).spans as Array<{ phase: string }>).map((s) => s.phase);
    return { judged: phases.includes('judge config drift'), drift: Object.fromEntries(r.json().services.map((s: { name: string; configChanged?: string[] }) => [s.name, s.configChanged])) };
  };
  // a judgement made within RACY_MS of the file's last change is not kept: wait until one is
  const cached = async (): Promise<Ps> => waitFor(async () => { const r = await ps(); return r.judged ? undefined : r; }, { timeoutMs: 30_000, what: 'a ps answered from the drift cache' });

  assert.deepEqual((await cached()).drift, { web: undefined, api: undefined });
  assert.equal((await ps()).judged, false, 'unchanged: the berth.yaml reader is not loaded');
  assert.ok(JSON.parse(readFileSync(join(home, 'cache', 'config-drift.json'), 'utf8')).entries.length === 1);

  // the same size, in the same second
  writeFileSync(file, readFileSync(file, 'utf8').replace('purpose: aaaa', 'purpose: bbbb'));
  const edited = await ps();
  assert.equal(edited.judged, true, 'the edit is judged');
  assert.deepEqual(edited.drift, { web: ['purpose'], api: undefined });
  assert.deepEqual((await cached()).drift, { web: ['purpose'], api: undefined }, 'the drift is cached too');

  // up recreates web: its recorded spec changed, the file did not
  assert.match(ok(await berth(['up'], { env, cwd: dir })).stdout, /web: recreated/);
  const recreated = await ps();
  assert.equal(recreated.judged, true, 'a new recorded spec is judged');
  assert.deepEqual(recreated.drift, { web: undefined, api: undefined });
  assert.deepEqual((await cached()).drift, { web: undefined, api: undefined });
});
