// Plain aligned columns; the last column is never padded, long cells are cut with an ellipsis.
// Control characters in a cell are escaped (printable.ts): cells hold text berth did not write.
import { printableCell } from './printable.ts';

export function table(headers: string[], rows: string[][], maxWidth = 60): string[] {
  const cut = (raw: string): string => {
    const s = printableCell(raw);
    return s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s;
  };
  const cells = [headers, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? printableCell(c) : cut(c))));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
