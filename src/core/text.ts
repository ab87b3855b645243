// Text berth did not write (another process's command line, its cwd) is put into berth's own
// messages: refusals, doctor findings, the cause of a crash loop. A newline in it would break the
// message into lines that look like berth's own (a hostile argv could forge a `fix: berth …`
// line). The CLI escapes other control characters on output; line breaks inside such text are
// escaped here, where the message is made, since the CLI cannot tell them from berth's own.
const LINE_BREAKS = /[\n\r\t\u2028\u2029]/g;

/** One character as an escape: \xNN up to U+00FF, \uNNNN above (the CLI's printable text uses it too). */
export function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The text on one line: newline, carriage return, tab and Unicode line separators escaped. */
export function oneLine(text: string): string {
  return text.replace(LINE_BREAKS, escapeChar);
}

/** A word for a POSIX shell: as it is when it is plain, else single-quoted. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
