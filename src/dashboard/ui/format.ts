// Short human forms of durations, ages, sizes and owners for table cells.
import { html, type SafeHtml } from './dom.ts';
import type { GitInfo, Owner } from './types.ts';

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  return duration(now - Date.parse(iso));
}

export function clock(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour12: false });
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

export function ownerLabel(owner: Owner | null | undefined): string {
  if (!owner) return '';
  return owner.agent ? `${owner.agent} \u00b7 ${owner.session}` : owner.session;
}

/** A process's git worktree and branch (or detached commit), as one line under its cwd. */
export function gitLine(git: GitInfo): SafeHtml | '' {
  if (!git) return '';
  const at = git.branch === null ? '' : git.detached ? html` detached at <strong>${git.branch}</strong>` : html` on <strong>${git.branch}</strong>`;
  return html`<div class="sub worktree">worktree <span class="mono">${git.worktree}</span>${at}</div>`;
}
