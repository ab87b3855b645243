// The ports map: every listener on the machine joined with the lease or reservation that
// claims its port; conflicts first, then claims nobody listens on, then the rest by port.
import { html, type SafeHtml } from '../dom.ts';
import { age, bytes, gitLine, ownerLabel } from '../format.ts';
import type { Claim, HolderExtras, Listener, PortsDoc, ProcessInfo } from '../types.ts';

const STATUS_ORDER: Record<Claim['status'], number> = { conflict: 0, lapsed: 1, idle: 2, ok: 3 };

interface PortRow {
  port: number;
  claim: Claim | null;
  listeners: Listener[];
}

function holderCell(p: ProcessInfo & HolderExtras): SafeHtml {
  return html`<div class="holder" data-pid="${p.pid}"><span class="mono">${p.pid}</span> <span class="mono cmd">${p.command}</span>
<div class="sub">${p.user} &middot; ${age(p.startedAt)}${p.rssBytes ? html` &middot; ${bytes(p.rssBytes)}` : ''}${p.cwd ? html` &middot; <span class="mono">${p.cwd}</span>` : ''}</div>
${gitLine(p.git)}</div>`;
}

function claimCell(c: Claim | null): SafeHtml {
  if (!c) return html`<span class="sub">unclaimed</span>`;
  const kept = c.status === 'ok' ? 'kept' : c.status === 'conflict' ? 'held by a stranger' : c.status;
  return html`<div>${c.kind} <strong>${c.name}</strong></div><div class="sub">${ownerLabel(c.owner)}</div><span class="badge claim-${c.status}">${kept}</span>`;
}

function row(r: PortRow): SafeHtml {
  const status = r.claim?.status ?? 'none';
  const procs = r.listeners.flatMap((l) => l.processes);
  const where = [...new Set(r.listeners.map((l) => `${l.protocol} ${l.address}`))].join(', ');
  return html`<tr data-port="${r.port}" class="claim-${status}">
<td class="mono"><strong>${r.port}</strong><div class="sub">${where}</div></td>
<td>${claimCell(r.claim)}</td>
<td>${procs.length > 0 ? procs.map(holderCell) : r.listeners.length > 0 ? html`<span class="sub">${r.listeners.map((l) => l.user).join(', ')} (process not visible)</span>` : html`<span class="sub">nothing listens</span>`}</td>
<td class="actions">${r.listeners.length > 0 ? html`<button data-act="free" data-target="${r.port}" class="danger">free</button>` : ''}</td></tr>`;
}

export function portRows(doc: PortsDoc): PortRow[] {
  const rows = new Map<number, PortRow>();
  const get = (port: number): PortRow => {
    let r = rows.get(port);
    if (!r) rows.set(port, (r = { port, claim: null, listeners: [] }));
    return r;
  };
  for (const c of doc.claims) get(c.port).claim = c;
  for (const l of doc.listeners) get(l.port).listeners.push(l);
  const rank = (r: PortRow): number => (r.claim ? STATUS_ORDER[r.claim.status] : 4);
  return [...rows.values()].sort((a, b) => rank(a) - rank(b) || a.port - b.port);
}

export function renderPorts(doc: PortsDoc): SafeHtml {
  const rows = portRows(doc);
  return html`<p class="summary">${doc.listeners.length} listening sockets, ${doc.claims.length} claims, <strong class="${doc.conflicts > 0 ? 'bad' : ''}">${doc.conflicts} conflicts</strong>${doc.unreadable > 0 ? html`, ${doc.unreadable} processes unreadable` : ''}</p>
<table><thead><tr><th>port</th><th>claim</th><th>holder</th><th></th></tr></thead><tbody>${rows.map(row)}</tbody></table>`;
}
