// Turning a `run:` line into an argv. A plain command line is split the way a shell splits
// words (quotes and backslashes), with no shell in between; one that needs a shell (pipes,
// redirections, &&, globs, variables other than $PORT) runs under `sh -c`, as foreman does.

const NEEDS_SHELL = /[|&;<>()`*?!~{}\n]|\$(?!\{?PORT\b)/;

export function commandToArgv(line: string): string[] {
  const text = line.trim();
  if (text === '') return [];
  if (NEEDS_SHELL.test(text.replace(/'[^']*'/g, "''"))) return ['sh', '-c', text];
  return splitWords(text);
}

/** Splits a command line into words: 'single' and "double" quotes, backslash escapes. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote !== null) throw new Error(`unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}
