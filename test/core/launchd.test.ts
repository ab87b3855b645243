// launchd jobs named like systemd units: `launchctl list` (PID, Status, Label, tab-separated;
// "-" for a job that is not running; launchctl(1)) recorded as fixtures, parsed, and a holder
// matched to the job whose pid is it or one of its parents (issue 16; decision 0029).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { launchdUnitOf, parseLaunchctlList } from '../../src/core/inspect/launchd.ts';
import { unitLabel } from '../../src/core/inspect/units.ts';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/macos/${name}`, import.meta.url), 'utf8');

test('launchctl list: running jobs only, app jobs and odd labels left out', () => {
  assert.deepEqual(parseLaunchctlList(fixture('launchctl-list.txt')), [
    { pid: 412, label: 'com.apple.Finder' },
    { pid: 8765, label: 'com.example.sms-webhook' },
    { pid: 9120, label: 'com.berth.shop.api' },
  ]);
  assert.deepEqual(parseLaunchctlList(fixture('launchctl-list-empty.txt')), []);
  assert.deepEqual(parseLaunchctlList('garbage\n\n12 0 spaces.not.tabs\n'), []);
});

test('a holder is named by the job whose pid is it or an ancestor, as "LABEL (launchd)"', () => {
  const jobs = parseLaunchctlList(fixture('launchctl-list.txt'));
  // 8765's wrapper script started node (20001), which started the server holding the port (20002)
  const parents = new Map([[20002, 20001], [20001, 8765], [8765, 1], [30000, 1]]);
  const lookup = { jobs, parentOf: (p: number) => parents.get(p), platform: 'darwin' };
  const unit = launchdUnitOf(20002, lookup);
  assert.deepEqual(unit, { name: 'com.example.sms-webhook', manager: 'launchd' });
  assert.equal(unitLabel(unit!), 'com.example.sms-webhook (launchd)');
  assert.deepEqual(launchdUnitOf(8765, lookup), { name: 'com.example.sms-webhook', manager: 'launchd' });
  // started from a terminal: no job above it (pid 1 is launchd itself, never a job)
  assert.equal(launchdUnitOf(30000, lookup), null);
  // an app's per-application job is not named (like a systemd scope)
  assert.equal(launchdUnitOf(733, lookup), null);
  // a parent cycle in a racy process table ends the walk
  assert.equal(launchdUnitOf(40000, { jobs, parentOf: (p) => (p === 40000 ? 40001 : 40000), platform: 'darwin' }), null);
  // off macOS launchd is never asked
  assert.equal(launchdUnitOf(8765, { jobs, platform: 'linux' }), null);
});
