// Text berth did not write (a process's command line, a session id from BERTH_SESSION, a path,
// a purpose) reaches the terminal through berth's tables and lines. A control character in it
// could move the cursor, recolour or rewrite what the user sees (ESC sequences), or hide a
// column; bidi overrides can reverse a command's text. Such characters are shown escaped
// (\x1b, \u202e), so what is printed is exactly what is there, and nothing more.
import { escapeChar } from '../../app/text.ts';

// C0 controls, DEL, C1 controls, and the Unicode bidi embeddings, overrides and isolates
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** One cell of a table: every control character escaped, tabs and newlines too. */
export function printableCell(text: string): string {
  return text.replace(CONTROL, escapeChar);
}

/** A line of output: control characters escaped, except the newline and tab that lay text out. */
export function printableLine(text: string): string {
  return text.replace(CONTROL_BUT_LAYOUT, escapeChar);
}
