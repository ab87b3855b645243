// PID reuse, staged for real: in a private pid namespace a service is killed with -9 and its
// pid handed to an unrelated group leader with members of its own (the impostor group). Every
// verb that acts on the dead service must leave that group alone: stop, restart, rm, down, gc,
// free (which may stop only the process that holds the port it was asked to free) and the
// eviction of a run with on_conflict evict (likewise) or refuse (nothing at all).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { countBystanders, countHostile } from '../helpers/adversarial.ts';
import { CLI } from '../helpers/cli.ts';
import { tempDir } from '../helpers/home.ts';
import { start } from '../helpers/procs.ts';

const DRIVER = fileURLToPath(new URL('../fixtures/pid-reuse-driver.mjs', import.meta.url));
const LISTEN = fileURLToPath(new URL('../fixtures/listen.mjs', import.meta.url));
const AGENT = fileURLToPath(new URL('../fixtures/agents/codex.mjs', import.meta.url));

function noNamespace(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for a private pid namespace (unshare -pf) and ns_last_pid';
  try {
    execFileSync('unshare', ['-pf', '--mount-proc', 'sh', '-c', 'echo 1 > /proc/sys/kernel/ns_last_pid'], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `this machine does not allow a private pid namespace: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
}

interface Impostor {
  pid: number;
  role: string;
  alive: boolean;
  mayGo: boolean;
}
interface Outcome {
  scenario: string;
  exit?: number;
  output?: string;
  error?: string;
  impostors?: Impostor[];
  events?: string;
}

const SCENARIOS = ['stop', 'restart', 'rm', 'down', 'gc', 'free', 'evict', 'refuse'];

test('PID reuse: no verb signals a process outside the instance (stop, restart, rm, down, gc, free, evict, refuse)', { skip: noNamespace() }, async (t) => {
  const work = tempDir(t);
  // sh as the namespace's pid 1 reaps orphans, so a killed service's pid really becomes free
  const ns = start(t, 'unshare', ['-pf', '--mount-proc', 'sh', '-c', `"${process.execPath}" "$@"`, 'sh', DRIVER, CLI, LISTEN, AGENT, work, ...SCENARIOS], {
    env: { ...process.env, BERTH_HOME: `${work}/home` },
  });
  const status = await ns.exited;
  const results = ns
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Outcome);
  assert.equal(status.code, 0, ns.output());
  assert.deepEqual(
    results.map((r) => r.scenario),
    SCENARIOS,
    ns.output(),
  );
  let checked = 0;
  for (const r of results) {
    assert.equal(r.error, undefined, `${r.scenario}: ${r.error}`);
    const wrong = r.impostors!.filter((p) => !p.alive && !p.mayGo);
    checked += r.impostors!.filter((p) => !p.mayGo).length;
    assert.deepEqual(wrong, [], `${r.scenario}: berth signalled impostor process(es) that merely reused the service's pid or group:\n${r.output}\n${r.events ?? ''}`);
    assert.ok(r.impostors!.filter((p) => !p.mayGo).length >= 2, `${r.scenario}: the impostor group has members to protect`);
    if (r.scenario === 'free' || r.scenario === 'evict') {
      // the holder of the port is a stranger berth was asked to remove: gone, on the record with its pid
      const listener = r.impostors!.find((p) => p.role === 'listener')!;
      assert.equal(listener.alive, false, `${r.scenario}: the port's holder was removed:\n${r.output}`);
      assert.equal(r.exit, 0, `${r.scenario}: ${r.output}`);
    }
    if (r.scenario === 'refuse') {
      assert.equal(r.exit, 3, `refuse: a stranger holds the port, so exit 3:\n${r.output}`);
      assert.match(r.output!, /held by pid \d+/);
    }
  }
  countHostile(t, SCENARIOS.length, 'staged PID reuse, one impostor group per verb');
  // the bystanders here are the impostors, checked inside the namespace
  countBystanders(t, checked, 0);
});
