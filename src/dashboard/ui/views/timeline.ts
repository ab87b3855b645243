// The event timeline, newest first; the filters are applied by the server (events' own filters).
import { html, type SafeHtml } from '../dom.ts';
import { clock } from '../format.ts';
import type { BerthEvent, EventsDoc } from '../types.ts';

function details(e: BerthEvent): string {
  if (!e.details) return '';
  return Object.entries(e.details)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export function renderTimeline(doc: EventsDoc): SafeHtml {
  const events = [...doc.events].sort((a, b) => b.id - a.id);
  if (events.length === 0) return html`<p class="empty">no events match</p>`;
  return html`<table><thead><tr><th>#</th><th>time</th><th>verb</th><th>subject</th><th>outcome</th><th>actor</th><th>session</th><th>details</th></tr></thead><tbody>
${events.map((e) => html`<tr data-event="${e.id}" class="outcome-${e.outcome}"><td class="mono">${e.id}</td><td title="${e.at}">${clock(e.at)}</td><td><strong>${e.verb}</strong></td><td class="mono">${e.subject}</td><td><span class="badge outcome">${e.outcome}</span></td><td class="sub">${e.actor}</td><td class="mono sub">${e.owner?.session ?? ''}</td><td class="mono sub details">${details(e)}</td></tr>`)}</tbody></table>`;
}
