// The fast path for the verbs agents call all the time (`who`, `port NAME`, `ps`): their plain
// shapes are recognised here and run (hot.ts) without loading commander and the program's thirty
// verb definitions, a third of a hot call's start-up (docs/benchmarks.md "The hot verbs",
// docs/decisions/0030-fast-path.md). Anything this does not recognise exactly (help, an unknown
// or repeated option, a value that looks like an option, `--`, another verb) goes to the full
// program, which parses and reports it; a recognised call reaches the same verb module with the
// same arguments commander would have passed, through the same runVerb. BERTH_FAST_PATH=0 sends
// every call to the full program (for comparing the two).
export interface FastCall {
  verb: 'who' | 'port' | 'ps';
  json: boolean;
  /** what commander would pass the verb's run(), after the Context */
  args: unknown[];
  /** the verb will read the TCP tables (who PORT, a port lease): main.ts reads them ahead */
  sockets: boolean;
}

interface Shape {
  /** how many positional words the verb takes: at least, at most */
  positional: [number, number];
  /** boolean flags (long and short forms) and the option key commander gives them */
  flags: Record<string, string>;
  /** options that take one value, and their key */
  values: Record<string, string>;
  /** the verb's run() arguments from the positional words and the options */
  args: (words: string[], opts: Record<string, string | true>) => unknown[];
  /** whether these words ask who listens (the TCP tables will be read) */
  sockets: (words: string[]) => boolean;
}

const SHAPES: Record<FastCall['verb'], Shape> = {
  who: {
    positional: [1, 1],
    flags: { '--json': 'json' },
    values: {},
    args: (words, opts) => [words[0], opts],
    sockets: (words) => /^:?\d+$/.test(words[0]!),
  },
  port: {
    // only the lease (`berth port NAME`): --reserve and --release go to the full program
    positional: [1, 1],
    flags: { '--json': 'json' },
    values: { '--ttl': 'ttl', '--project': 'project' },
    args: (words, opts) => [words[0], undefined, opts],
    // a new lease reads the tables (to skip ports in use), but most calls ask for a lease that
    // exists and read nothing: reading ahead would make them wait for tables they never use
    sockets: () => false,
  },
  ps: {
    positional: [0, 1],
    flags: { '--json': 'json', '-a': 'all', '--all': 'all', '--mine': 'mine' },
    values: { '--project': 'project' },
    args: (words, opts) => [words[0], opts],
    sockets: () => false,
  },
};

/** The fast call for these arguments, or undefined when the full program must parse them. */
export function fastCall(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): FastCall | undefined {
  if (env.BERTH_FAST_PATH === '0') return undefined;
  const [verb, ...rest] = argv;
  if (verb === undefined || !Object.hasOwn(SHAPES, verb)) return undefined;
  const shape = SHAPES[verb as FastCall['verb']];
  const words: string[] = [];
  const opts: Record<string, string | true> = {};
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (!word.startsWith('-')) {
      words.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = eq > 0 ? word.slice(0, eq) : word;
    if (Object.hasOwn(shape.flags, name) && eq < 0) {
      const key = shape.flags[name]!;
      if (key in opts) return undefined;
      opts[key] = true;
    } else if (Object.hasOwn(shape.values, name)) {
      const key = shape.values[name]!;
      const value = eq > 0 ? word.slice(eq + 1) : rest[++i];
      if (key in opts || value === undefined || value === '' || value.startsWith('-')) return undefined;
      opts[key] = value;
    } else {
      // -h, --help, --, an unknown option, a negative number: the full program's to judge
      return undefined;
    }
  }
  if (words.length < shape.positional[0] || words.length > shape.positional[1]) return undefined;
  return { verb: verb as FastCall['verb'], json: opts.json === true, args: shape.args(words, opts), sockets: shape.sockets(words) };
}
