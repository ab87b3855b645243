// The dashboard page's entry (bundled by scripts/bundle.mjs into dist/dashboard/app.js). The
// server writes the HTML shell (with the CSRF meta tag); this builds the layout, fetches the
// verbs' documents from /api/, renders each view in one write, and refetches what changed when
// /api/stream says so (debounced), plus a slow poll for what has no event (strangers listening).
import { runAction, showNotice } from './actions.ts';
import { ApiError, getDoc, watchChanges, type ActionVerb, type Change } from './api.ts';
import { byId, html, setHtml } from './dom.ts';
import type { DoctorDoc, EventsDoc, LocksDoc, LogsDoc, OrphansDoc, PortsDoc, PsDoc, Snapshot } from './types.ts';
import { renderLocks } from './views/locks.ts';
import { showLog } from './views/logs.ts';
import { renderPorts } from './views/ports.ts';
import { renderServices } from './views/services.ts';
import { renderSessions, summarizeSessions } from './views/sessions.ts';
import { renderTimeline } from './views/timeline.ts';

const DEBOUNCE_MS = 200;
const POLL_MS = 5000;
const LOG_FOLLOW_MS = 1000;
// After the daemon has been gone this long (or at once when it no longer knows this browser, a
// 401 after a restart) the page stops polling and reconnecting until it is reloaded: another
// program that binds the port later gets no stream of requests carrying the cookie.
const GIVE_UP_MS = 30_000;
const LOG_LINES = 300;
const SESSION_EVENTS = 1000;
const TIMELINE_EVENTS = 300;

type Tab = 'services' | 'ports' | 'locks' | 'sessions' | 'timeline';
const TABS: Tab[] = ['services', 'ports', 'locks', 'sessions', 'timeline'];
type DocKey = 'ps' | 'ports' | 'locks' | 'events' | 'orphans' | 'doctor' | 'timeline';

/** the documents each tab shows */
const NEEDS: Record<Tab, DocKey[]> = {
  services: ['ps', 'doctor'],
  ports: ['ports'],
  locks: ['locks'],
  sessions: ['ps', 'events', 'orphans'],
  timeline: ['timeline', 'ps', 'events'],
};

const snap: Snapshot & { timeline?: EventsDoc } = {};
const filters = { project: '', session: '', verb: '' };
let tab: Tab = 'services';
let logName: string | null = null;
const dirty = new Set<DocKey>();
let timer: ReturnType<typeof setTimeout> | undefined;
let refreshing = false;

function layout(): void {
  const root = document.getElementById('app') ?? document.body;
  setHtml(root, html`<header><h1>berth</h1><span id="live" class="live off">connecting</span><span id="counts"></span>
<nav>${TABS.map((t) => html`<a href="#${t}" data-tab="${t}">${t}</a>`)}</nav></header>
<div id="notice" class="notice" hidden></div>
<main>
<section id="view-services" class="view"><div id="problems"></div><div id="services"></div></section>
<section id="view-ports" class="view"><div id="ports"></div></section>
<section id="view-locks" class="view"><div id="locks"></div></section>
<section id="view-sessions" class="view"><div id="sessions"></div></section>
<section id="view-timeline" class="view"><form id="filters" class="filters">
<label>project <select name="project"><option value="">all</option></select></label>
<label>session <select name="session"><option value="">all</option></select></label>
<label>verb <input name="verb" list="verbs" placeholder="any" size="10"><datalist id="verbs"></datalist></label>
</form><div id="timeline"></div></section>
</main>
<aside id="logs" hidden><div class="logs-head"><strong id="logs-name"></strong>
<input id="logs-grep" type="search" placeholder="search"><label><input id="logs-follow" type="checkbox" checked> follow</label>
<button data-act="close-logs">close</button></div><pre id="logs-text"></pre></aside>
<dialog id="confirm"><form method="dialog"><p id="confirm-message"></p><menu><button value="cancel">Cancel</button> <button id="confirm-ok" class="danger" value="ok">OK</button></menu></form></dialog>`);
}

function renderHeader(): void {
  const services = snap.ps?.services ?? [];
  const up = services.filter((s) => !['stopped', 'exited', 'failed'].includes(s.state)).length;
  const conflicts = snap.ports?.conflicts;
  setHtml(byId('counts'), html`${up}/${services.length} services up${conflicts !== undefined ? html` &middot; <span class="${conflicts > 0 ? 'bad' : ''}">${conflicts} port conflicts</span>` : ''}`);
}

function renderProblems(doc: DoctorDoc | undefined): void {
  const findings = (doc?.findings ?? []).filter((f) => f.severity !== 'info');
  setHtml(byId('problems'), findings.length === 0 ? html`` : html`<ul class="problems">${findings.map((f) => html`<li class="sev-${f.severity}"><strong>${f.subject}</strong> ${f.message}${f.fix ? html` <code>${f.fix}</code>` : ''}</li>`)}</ul>`);
}

function fillSelect(select: HTMLSelectElement, values: string[], current: string): void {
  setHtml(select, html`<option value="">all</option>${values.map((v) => html`<option value="${v}">${v}</option>`)}`);
  select.value = current;
}

function renderFilters(): void {
  const form = byId<HTMLFormElement>('filters');
  const projects = [...new Set((snap.ps?.services ?? []).map((s) => s.project ?? ''))].filter(Boolean).sort();
  const sessions = summarizeSessions(snap.ps, snap.events).map((s) => s.session);
  if (filters.session && !sessions.includes(filters.session)) sessions.push(filters.session);
  fillSelect(form.elements.namedItem('project') as HTMLSelectElement, projects, filters.project);
  fillSelect(form.elements.namedItem('session') as HTMLSelectElement, sessions, filters.session);
  const verbs = [...new Set((snap.events?.events ?? []).map((e) => e.verb))].sort();
  setHtml(byId('verbs'), html`${verbs.map((v) => html`<option value="${v}"></option>`)}`);
}

function renderTab(): void {
  renderHeader();
  for (const t of TABS) {
    byId(`view-${t}`).hidden = t !== tab;
    document.querySelector(`nav a[data-tab="${t}"]`)?.classList.toggle('active', t === tab);
  }
  if (tab === 'services' && snap.ps) {
    renderProblems(snap.doctor);
    setHtml(byId('services'), renderServices(snap.ps.services));
  } else if (tab === 'ports' && snap.ports) setHtml(byId('ports'), renderPorts(snap.ports));
  else if (tab === 'locks' && snap.locks) setHtml(byId('locks'), renderLocks(snap.locks));
  else if (tab === 'sessions') setHtml(byId('sessions'), renderSessions(snap.ps, snap.events, snap.orphans));
  else if (tab === 'timeline' && snap.timeline) {
    renderFilters();
    setHtml(byId('timeline'), renderTimeline(snap.timeline));
  }
}

async function fetchDoc(key: DocKey): Promise<void> {
  switch (key) {
    case 'ps':
      snap.ps = await getDoc<PsDoc>('ps');
      break;
    case 'ports':
      snap.ports = await getDoc<PortsDoc>('ports');
      break;
    case 'locks':
      snap.locks = await getDoc<LocksDoc>('locks');
      break;
    case 'orphans':
      snap.orphans = await getDoc<OrphansDoc>('orphans');
      break;
    case 'doctor':
      snap.doctor = await getDoc<DoctorDoc>('doctor');
      break;
    case 'events':
      snap.events = await getDoc<EventsDoc>('events', { limit: SESSION_EVENTS });
      break;
    case 'timeline':
      snap.timeline = await getDoc<EventsDoc>('events', { limit: TIMELINE_EVENTS, ...filters });
      break;
  }
}

/**
 * Fetches the dirty documents the current tab shows, all at once, and paints each as it arrives:
 * the services table must not wait for doctor, which takes far longer than ps with hundreds of
 * services (docs/benchmarks.md, the dashboard's first paint).
 */
async function refresh(): Promise<void> {
  if (refreshing) return;
  refreshing = true;
  try {
    while (dirty.size > 0) {
      const keys = NEEDS[tab].filter((k) => dirty.has(k));
      for (const k of keys) dirty.delete(k);
      if (keys.length === 0) break;
      const results = await Promise.allSettled(keys.map((k) => fetchDoc(k).then(renderTab)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed?.reason instanceof ApiError && failed.reason.status === 401) return stopWatching('this daemon run does not know this page (it restarted)');
      if (failed) {
        showNotice('error', html`could not read ${keys.join(', ')}: ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`);
        renderTab();
      }
    }
  } finally {
    refreshing = false;
  }
}

let stopped = false;
let downSince: number | undefined;
const intervals: Array<ReturnType<typeof setInterval>> = [];
let source: EventSource | undefined;

/** Stops every poll and the change stream, and says how to come back. */
function stopWatching(why: string): void {
  if (stopped) return;
  stopped = true;
  for (const i of intervals) clearInterval(i);
  clearTimeout(timer);
  source?.close();
  const el = byId('live');
  el.className = 'live off';
  el.textContent = 'stopped';
  showNotice('error', html`${why}: the page stopped asking. Run berth dashboard and open the URL it prints.`);
}

function markDirty(keys: DocKey[], now = false): void {
  if (stopped) return;
  for (const k of keys) dirty.add(k);
  clearTimeout(timer);
  if (now) void refresh();
  else timer = setTimeout(() => void refresh(), DEBOUNCE_MS);
}

function onChange(c: Change): void {
  if (c.kind === 'service') {
    markDirty(['ps', 'ports', 'locks', 'doctor', 'orphans']);
    if (logName && c.name === logName) void loadLog();
  } else markDirty(['events', 'timeline', 'ps']);
}

function setTab(next: Tab): void {
  tab = next;
  renderTab();
  markDirty(NEEDS[tab], true);
}

async function loadLog(): Promise<void> {
  if (!logName) return;
  const name = logName;
  const grep = byId<HTMLInputElement>('logs-grep').value;
  try {
    const doc = await getDoc<LogsDoc>('logs', { name, lines: LOG_LINES, grep });
    if (logName === name) showLog(byId('logs-text'), doc);
  } catch (err) {
    byId('logs-text').textContent = `could not read the log: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function openLogs(name: string): void {
  logName = name;
  byId('logs-name').textContent = name;
  byId('logs-text').textContent = '';
  byId('logs').hidden = false;
  void loadLog();
}

function onClick(e: MouseEvent): void {
  const el = (e.target as Element).closest<HTMLElement>('[data-act],[data-tab]');
  if (!el) return;
  if (el.dataset.tab) return; // hashchange does it
  const act = el.dataset.act!;
  const target = el.dataset.target ?? '';
  if (act === 'logs') openLogs(target);
  else if (act === 'close-logs') {
    logName = null;
    byId('logs').hidden = true;
  } else if (act === 'dismiss') byId('notice').hidden = true;
  else if (act === 'filter-session') {
    filters.session = target;
    location.hash = '#timeline';
    markDirty(['timeline'], true);
  } else void runAction(act as ActionVerb, target, () => markDirty(['ps', 'ports', 'orphans', 'events', 'timeline', 'locks'], true));
}

function tabFromHash(): Tab {
  const h = location.hash.slice(1) as Tab;
  return TABS.includes(h) ? h : 'services';
}

function start(): void {
  layout();
  document.addEventListener('click', onClick);
  window.addEventListener('hashchange', () => setTab(tabFromHash()));
  byId<HTMLFormElement>('filters').addEventListener('input', (e) => {
    const field = e.target as HTMLInputElement | HTMLSelectElement;
    if (field.name === 'project' || field.name === 'session' || field.name === 'verb') filters[field.name] = field.value.trim();
    markDirty(['timeline']);
  });
  byId('logs-grep').addEventListener('input', () => void loadLog());
  intervals.push(setInterval(() => {
    if (logName && byId<HTMLInputElement>('logs-follow').checked) void loadLog();
  }, LOG_FOLLOW_MS));
  intervals.push(setInterval(() => {
    if (downSince !== undefined && Date.now() - downSince > GIVE_UP_MS) stopWatching('berthd has not answered for 30 s');
    else markDirty(NEEDS[tab], true);
  }, POLL_MS));
  source = watchChanges(onChange, (live) => {
    if (stopped) return;
    if (live) downSince = undefined;
    else downSince ??= Date.now();
    const el = byId('live');
    el.className = `live ${live ? 'on' : 'off'}`;
    el.textContent = live ? 'live' : 'reconnecting';
    if (live) markDirty(NEEDS[tab]);
  });
  setTab(tabFromHash());
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
