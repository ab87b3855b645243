// The fast path for the verbs agents call all the time (`who`, `port NAME`, `ps`, and
// `run NAME -- CMD`): their plain shapes are recognised here and run (hot.ts) without loading
// commander and the program's thirty verb definitions, a third of a hot call's start-up
// (docs/benchmarks.md "The hot verbs", docs/decisions/0030-fast-path.md). Anything this does not
// recognise exactly (help, an unknown or repeated option, a value that looks like an option, a
// misplaced or missing `--`, another verb) goes to the full
// program, which parses and reports it; a recognised call reaches the same verb module with the
// same arguments commander would have passed, through the same runVerb. BERTH_FAST_PATH=0 sends
// every call to the full program (for comparing the two).
export interface FastCall {
  verb: 'who' | 'port' | 'ps' | 'run';
  json: boolean;
  /** what commander would pass the verb's run(), after the Context */
  args: unknown[];
  /** the verb will read the TCP tables (who PORT): main.ts reads them ahead */
  sockets: boolean;
}

type Opts = Record<string, string | string[] | boolean>;

interface Shape {
  /** how many positional words the verb takes before any `--`: at least, at most */
  positional: [number, number];
  /** a command after `--` (at least one word), which the verb takes whole: `run NAME -- CMD…` */
  command?: true;
  /** boolean flags (long and short forms) and the option key commander gives them */
  flags: Record<string, string>;
  /** `--no-X` flags: the key commander gives them, true unless the flag is there */
  negated?: Record<string, string>;
  /** options that take one value, and their key */
  values: Record<string, string>;
  /** options that take one value each time they are given, collected in order */
  repeated?: Record<string, string>;
  /** the verb's run() arguments from the positional words, the options and the command */
  args: (words: string[], opts: Opts, command: string[]) => unknown[];
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
  run: {
    // `run NAME [options] -- CMD…` only: without `--` the full program parses (and explains) it
    positional: [1, 1],
    command: true,
    flags: { '--json': 'json', '--keep': 'keep', '--until-session-ends': 'untilSessionEnds', '--ephemeral': 'ephemeral', '--port-from-listener': 'portFromListener', '--force': 'force' },
    negated: { '--no-wait': 'wait' },
    values: {
      '--port': 'port',
      '--health': 'health',
      '--watchdog': 'watchdog',
      '--purpose': 'purpose',
      '--cwd': 'cwd',
      '--restart': 'restart',
      '--max-restarts': 'maxRestarts',
      '--on-conflict': 'onConflict',
      '--timeout': 'timeout',
      '--project': 'project',
    },
    repeated: { '--env': 'env', '--lock': 'lock' },
    args: (words, opts, command) => [words[0], command, opts],
    sockets: () => false,
  },
};

/** The fast call for these arguments, or undefined when the full program must parse them. */
export function fastCall(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): FastCall | undefined {
  if (env.BERTH_FAST_PATH === '0') return undefined;
  const [verb, ...all] = argv;
  if (verb === undefined || !Object.hasOwn(SHAPES, verb)) return undefined;
  const shape = SHAPES[verb as FastCall['verb']];
  const dashes = all.indexOf('--');
  if ((dashes >= 0) !== (shape.command === true)) return undefined;
  const rest = dashes >= 0 ? all.slice(0, dashes) : all;
  const command = dashes >= 0 ? all.slice(dashes + 1) : [];
  if (shape.command && command.length === 0) return undefined;
  const words: string[] = [];
  // commander's defaults: a --no-X flag's key is true until the flag is given
  const opts: Opts = Object.fromEntries(Object.values(shape.negated ?? {}).map((key) => [key, true]));
  const given = new Set<string>();
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i]!;
    if (!word.startsWith('-')) {
      words.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = eq > 0 ? word.slice(0, eq) : word;
    const valueOf = (): string | undefined => {
      const value = eq > 0 ? word.slice(eq + 1) : rest[++i];
      return value === undefined || value === '' || value.startsWith('-') ? undefined : value;
    };
    if (eq < 0 && Object.hasOwn(shape.flags, name)) {
      const key = shape.flags[name]!;
      if (given.has(key)) return undefined;
      given.add(key);
      opts[key] = true;
    } else if (eq < 0 && shape.negated !== undefined && Object.hasOwn(shape.negated, name)) {
      const key = shape.negated[name]!;
      if (given.has(key)) return undefined;
      given.add(key);
      opts[key] = false;
    } else if (Object.hasOwn(shape.values, name)) {
      const key = shape.values[name]!;
      const value = valueOf();
      if (given.has(key) || value === undefined) return undefined;
      given.add(key);
      opts[key] = value;
    } else if (shape.repeated !== undefined && Object.hasOwn(shape.repeated, name)) {
      const key = shape.repeated[name]!;
      const value = valueOf();
      if (value === undefined) return undefined;
      opts[key] = [...((opts[key] as string[] | undefined) ?? []), value];
    } else {
      // -h, --help, an unknown option, a negative number: the full program's to judge
      return undefined;
    }
  }
  if (words.length < shape.positional[0] || words.length > shape.positional[1]) return undefined;
  return { verb: verb as FastCall['verb'], json: opts.json === true, args: shape.args(words, opts, command), sockets: shape.sockets(words) };
}
