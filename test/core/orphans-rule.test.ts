// The rule that says whether a process looks abandoned (src/core/orphans-rule.ts), case by case.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeOrphan, type OrphanFacts, provenOtherSession } from '../../src/core/orphans-rule.ts';

const base: OrphanFacts = { pid: 500, sid: 400, ppid: 1, parentAdopts: true, sessionLeaderAlive: false, markers: [], possibleSessions: [], possibleStarters: [] };
const claude = [{ variable: 'CLAUDECODE', value: '1', agent: 'claude' }];

test('a process of a live session is never abandoned', () => {
  assert.equal(judgeOrphan({ ...base, markers: claude, liveAgentAncestor: 'claude pid 9' }), undefined);
  assert.equal(judgeOrphan({ ...base, markers: claude, possibleSessions: ['claude pid 9'] }), undefined);
  assert.equal(judgeOrphan({ ...base, recordedAgentSession: { session: 'claude:9:1', alive: true } }), undefined);
  assert.equal(judgeOrphan({ ...base, sessionLeaderAlive: true }), undefined);
});

test('agent-abandoned: a marker and no agent session it could be, or a recorded agent session that is gone', () => {
  const v = judgeOrphan({ ...base, markers: claude });
  assert.equal(v?.kind, 'agent-abandoned');
  assert.equal(v?.agent, 'claude');
  assert.match(v!.reasons.join('; '), /CLAUDECODE=1.*init/);
  const r = judgeOrphan({ ...base, ppid: 77, parentAdopts: false, recordedAgentSession: { session: 'codex:9:1', alive: false } });
  assert.deepEqual([r?.kind, r?.session, r?.agent], ['agent-abandoned', 'codex:9:1', 'codex']);
  // a terminal session still alive does not keep an agent's orphan: the agent session is its owner
  assert.equal(judgeOrphan({ ...base, markers: claude, sessionLeaderAlive: true })?.kind, 'agent-abandoned');
});

test('reparented and session-gone need the terminal session gone; a session leader is a daemon by design', () => {
  assert.equal(judgeOrphan(base)?.kind, 'reparented');
  assert.equal(judgeOrphan({ ...base, ppid: 300, parentAdopts: false })?.kind, 'session-gone');
  assert.equal(judgeOrphan({ ...base, sid: 500 }), undefined);
  assert.equal(judgeOrphan({ ...base, sid: 0 }), undefined);
});

test('two environments prove different sessions only by a session variable set on both sides, differently', () => {
  const env = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o));
  assert.equal(provenOtherSession(env({ XDG_SESSION_ID: '3' }), env({ XDG_SESSION_ID: '4' })), true);
  assert.equal(provenOtherSession(env({ XDG_SESSION_ID: '3' }), env({})), false);
  assert.equal(provenOtherSession(env({ XDG_SESSION_ID: '3', PATH: '/x' }), env({ XDG_SESSION_ID: '3', PATH: '/y' })), false);
  // a variable a command sets for itself proves nothing (adversarial review #2)
  assert.equal(provenOtherSession(env({ BERTH_HOME: '/a' }), env({ BERTH_HOME: '/b' })), false);
});

test('gc collects only on positive evidence that the starting session is gone', () => {
  assert.equal(judgeOrphan({ ...base, markers: claude })?.collectable, true);
  assert.equal(judgeOrphan({ ...base, recordedAgentSession: { session: 'claude:9:1', alive: false }, possibleStarters: ['claude pid 9'] })?.collectable, true);
  // listed (the session variables say another session) but not collected while an agent that may have started it lives
  const v = judgeOrphan({ ...base, markers: claude, possibleStarters: ['claude pid 9'] });
  assert.deepEqual([v?.kind, v?.collectable], ['agent-abandoned', false]);
  assert.match(v!.reasons.join('; '), /not collected while claude pid 9 lives/);
  assert.equal(judgeOrphan(base)?.collectable, false);
});
