// Locks: named locks, slots, rate buckets and file locks, each with its holder.
import { html, type SafeHtml } from '../dom.ts';
import { age, ownerLabel } from '../format.ts';
import type { LocksDoc } from '../types.ts';

function section(title: string, count: number, head: SafeHtml, rows: SafeHtml[]): SafeHtml {
  return html`<section><h3>${title} <span class="count">${count}</span></h3>${count === 0 ? html`<p class="empty">none</p>` : html`<table><thead>${head}</thead><tbody>${rows}</tbody></table>`}</section>`;
}

export function renderLocks(doc: LocksDoc): SafeHtml {
  return html`${section('Named locks', doc.named.length, html`<tr><th>name</th><th>pid</th><th>command</th><th>owner</th><th>held for</th></tr>`, doc.named.map((l) => html`<tr><td><strong>${l.name}</strong></td><td class="mono">${l.pid}</td><td class="mono">${l.command}</td><td>${ownerLabel(l.owner)}</td><td>${age(l.acquiredAt)}</td></tr>`))}
${section('Slots', doc.slots.length, html`<tr><th>name</th><th>slot</th><th>pid</th><th>command</th><th>owner</th><th>held for</th></tr>`, doc.slots.map((l) => html`<tr><td><strong>${l.name}</strong></td><td>${l.slot}</td><td class="mono">${l.pid}</td><td class="mono">${l.command}</td><td>${ownerLabel(l.owner)}</td><td>${age(l.acquiredAt)}</td></tr>`))}
${section('Rate buckets', doc.buckets.length, html`<tr><th>name</th><th>limit</th><th>burst</th><th>tokens left</th><th>waiting</th><th>full at</th></tr>`, doc.buckets.map((b) => html`<tr><td><strong>${b.name}</strong></td><td>${b.limit}</td><td>${b.burst}</td><td>${b.tokensLeft}</td><td>${b.waiting}</td><td>${new Date(b.fullAt).toLocaleTimeString()}</td></tr>`))}
${section('File locks', doc.files.length, html`<tr><th>path</th><th>kind</th><th>access</th><th>pid</th><th>command</th></tr>`, doc.files.map((f) => html`<tr><td class="mono">${f.path ?? `${f.major}:${f.minor}:${f.inode}`}</td><td>${f.kind}</td><td>${f.access}</td><td class="mono">${f.process?.pid ?? f.pid}</td><td class="mono">${f.process?.command ?? ''}</td></tr>`))}`;
}
