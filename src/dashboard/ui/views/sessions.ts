// Sessions, derived from what the documents already say: the owners of services (ps) and of
// events, with ps's ownerGone telling live from ended; and the orphans their ends left behind.
// No verb lists sessions, so this is a view of ps + events + orphans, not a new source of truth.
import { html, type SafeHtml } from '../dom.ts';
import { age, clock, gitLine } from '../format.ts';
import type { EventsDoc, Orphan, OrphansDoc, PsDoc } from '../types.ts';

export interface SessionSummary {
  session: string;
  agent: string | null;
  user: string;
  /** true: a service says its owner is alive; false: one says it is gone; null: nothing says */
  live: boolean | null;
  services: string[];
  lastAt: string | null;
  events: number;
}

export function summarizeSessions(ps: PsDoc | undefined, events: EventsDoc | undefined): SessionSummary[] {
  const by = new Map<string, SessionSummary>();
  const get = (session: string, agent: string | undefined, user: string): SessionSummary => {
    let s = by.get(session);
    if (!s) by.set(session, (s = { session, agent: agent ?? null, user, live: null, services: [], lastAt: null, events: 0 }));
    if (!s.agent && agent) s.agent = agent;
    return s;
  };
  for (const svc of ps?.services ?? []) {
    if (!svc.owner) continue;
    const s = get(svc.owner.session, svc.owner.agent, svc.owner.user);
    s.services.push(svc.fullName);
    s.live = svc.ownerGone ? (s.live ?? false) : true;
  }
  for (const e of events?.events ?? []) {
    if (!e.owner) continue;
    const s = get(e.owner.session, e.owner.agent, e.owner.user);
    s.events++;
    if (!s.lastAt || e.at > s.lastAt) s.lastAt = e.at;
    if ((e.verb === 'run' || e.verb === 'start') && e.outcome === 'ok' && !s.services.includes(e.subject)) s.services.push(e.subject);
  }
  const rank = (s: SessionSummary): number => (s.live === true ? 0 : s.live === null ? 1 : 2);
  return [...by.values()].sort((a, b) => rank(a) - rank(b) || (b.lastAt ?? '').localeCompare(a.lastAt ?? ''));
}

function orphanRow(o: Orphan): SafeHtml {
  return html`<tr data-orphan="${o.pid}"><td class="mono">${o.pid}</td><td class="mono">${o.command}</td><td>${o.kind}${o.agent ? html` (${o.agent})` : ''}<div class="sub">${o.reasons.join('; ')}</div></td>
<td>${o.ports.map((p) => `${p.port}`).join(', ')}</td><td>${age(o.startedAt)}</td>
<td class="mono">${o.cwd ?? ''}${gitLine(o.git)}</td>
<td class="actions">${o.collectable ? html`<button data-act="gc-orphans" data-target="${`${o.pid}:${o.identity.startTicks}`}" class="danger">reap</button>` : html`<span class="sub mono">${o.fix}</span>`}</td></tr>`;
}

export function renderSessions(ps: PsDoc | undefined, events: EventsDoc | undefined, orphans: OrphansDoc | undefined): SafeHtml {
  const sessions = summarizeSessions(ps, events);
  const state = (s: SessionSummary): string => (s.live === true ? 'live' : s.live === false ? 'ended' : 'unknown');
  return html`<section><h3>Sessions <span class="count">${sessions.length}</span></h3>
${sessions.length === 0 ? html`<p class="empty">no session has started anything</p>` : html`<table><thead><tr><th>session</th><th>agent</th><th>user</th><th>state</th><th>started</th><th>last event</th><th></th></tr></thead><tbody>
${sessions.map((s) => html`<tr data-session="${s.session}"><td class="mono">${s.session}</td><td>${s.agent ?? ''}</td><td>${s.user}</td><td><span class="badge session-${state(s)}">${state(s)}</span></td><td>${s.services.join(', ')}</td><td>${s.lastAt ? clock(s.lastAt) : ''}</td>
<td class="actions"><button data-act="filter-session" data-target="${s.session}">events</button></td></tr>`)}</tbody></table>`}</section>
<section><h3>Orphans <span class="count">${orphans?.orphans.length ?? 0}</span></h3>
${!orphans || orphans.orphans.length === 0 ? html`<p class="empty">none</p>` : html`<table><thead><tr><th>pid</th><th>command</th><th>why</th><th>ports</th><th>age</th><th>cwd</th><th></th></tr></thead><tbody>${orphans.orphans.map(orphanRow)}</tbody></table>`}</section>`;
}
