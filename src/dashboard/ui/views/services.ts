// Services grouped by project: one table per project, built as one string per table.
import { html, type SafeHtml } from '../dom.ts';
import { duration, ownerLabel } from '../format.ts';
import type { Service } from '../types.ts';

const DOWN = new Set(['stopped', 'exited', 'failed']);

function lastExit(s: Service): string {
  if (!s.lastExit) return '';
  const how = s.lastExit.signal ?? `code ${s.lastExit.code ?? '?'}`;
  return s.uptimeMs !== null ? `${how} (prev)` : how;
}

function portCell(s: Service): SafeHtml {
  if (s.port === null) return html``;
  return html`<a href="${`http://127.0.0.1:${s.port}/`}" target="_blank" rel="noopener noreferrer">${s.port}</a>`;
}

function ownerCell(s: Service): SafeHtml {
  if (!s.owner) return html``;
  return html`<span class="${s.ownerGone ? 'gone' : ''}" title="${s.owner.source}">${ownerLabel(s.owner)}</span>${s.ownerGone ? html` <em>(ended)</em>` : ''}`;
}

function row(s: Service): SafeHtml {
  const down = DOWN.has(s.state);
  return html`<tr data-service="${s.fullName}" class="state-${s.state}">
<td class="name"><strong>${s.name}</strong>${s.purpose ? html`<div class="sub">${s.purpose}</div>` : ''}<div class="sub mono">${s.command}</div></td>
<td><span class="badge state">${s.state}</span></td>
<td class="mono">${s.pid ?? ''}</td>
<td class="mono">${portCell(s)}</td>
<td>${s.health ?? ''}</td>
<td>${ownerCell(s)}</td>
<td>${duration(s.uptimeMs)}</td>
<td>${s.restarts}</td>
<td>${lastExit(s)}</td>
<td class="detail">${s.detail ?? ''}${s.status ? html`<div class="status">${s.status}</div>` : ''}</td>
<td>${s.lifetime}</td>
<td>${s.configChanged && s.configChanged.length > 0 ? html`<span class="badge drift" title="berth up applies it">${s.configChanged.join(', ')}</span>` : ''}</td>
<td class="actions">
<button data-act="logs" data-target="${s.fullName}">logs</button>
<button data-act="restart" data-target="${s.fullName}">restart</button>
${down ? '' : html`<button data-act="stop" data-target="${s.fullName}" class="danger">stop</button>`}
</td></tr>`;
}

export function renderServices(services: readonly Service[]): SafeHtml {
  if (services.length === 0) return html`<p class="empty">No services. Start one with <code>berth run NAME -- CMD</code> or <code>berth up</code>.</p>`;
  const byProject = new Map<string, Service[]>();
  for (const s of services) {
    const p = s.project ?? '(no project)';
    const list = byProject.get(p) ?? [];
    list.push(s);
    byProject.set(p, list);
  }
  const projects = [...byProject.keys()].sort();
  return html`${projects.map((p) => {
    const list = byProject.get(p)!.sort((a, b) => a.name.localeCompare(b.name));
    const up = list.filter((s) => !DOWN.has(s.state)).length;
    return html`<section class="project" data-project="${p}"><h3>${p} <span class="count">${up}/${list.length} up</span></h3>
<table><thead><tr><th>service</th><th>state</th><th>pid</th><th>port</th><th>health</th><th>owner</th><th>uptime</th><th>restarts</th><th>last exit</th><th>detail / status</th><th>lifetime</th><th>drift</th><th></th></tr></thead>
<tbody>${list.map(row)}</tbody></table></section>`;
  })}`;
}
