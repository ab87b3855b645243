// A service's log pane: the tail as plain text (textContent, never markup), filtered by the
// server's grep.
import type { LogsDoc } from '../types.ts';

export function showLog(pre: HTMLElement, doc: LogsDoc): void {
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  pre.textContent = doc.lines.length > 0 ? doc.lines.join('\n') : '(no output)';
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}
