// A small validator for untrusted JSON at the daemon's socket: strict objects, bounded strings,
// integers, arrays and records, with the path of the first bad field. The daemon used zod for
// this, which alone costs it ~14 MiB of RSS (94 modules) for six request shapes; berth's daemon
// is meant to stay small next to the services it watches (docs/benchmarks.md). The contract the
// CLI and MCP check their documents against stays in zod (src/app/contract.ts).

/** The first problem found in a value: where, and what is wrong. */
export class ShapeError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

/** Checks a value and returns it typed, or throws ShapeError. */
export type Shape<T> = (value: unknown, path: string) => T;

const fail = (path: string, message: string): never => {
  throw new ShapeError(path, message);
};

/** The message for a value of the wrong type: an absent field is "required". */
const wrong = (v: unknown, path: string, expected: string): never => fail(path, v === undefined ? 'required' : `expected ${expected}`);

const at = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);

export function str(opts: { pattern?: RegExp; message?: string; check?: (s: string) => string | undefined; min?: number } = {}): Shape<string> {
  return (v, path) => {
    if (typeof v !== 'string') return wrong(v, path, 'a string');
    if (opts.min !== undefined && v.length < opts.min) return fail(path, `expected at least ${opts.min} character(s)`);
    if (opts.pattern && !opts.pattern.test(v)) return fail(path, opts.message ?? `does not match ${opts.pattern}`);
    const problem = opts.check?.(v);
    return problem === undefined ? v : fail(path, problem);
  };
}

export function int(min: number, max: number): Shape<number> {
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return wrong(v, path, 'a whole number');
    if (v < min || v > max) return fail(path, `expected a number from ${min} to ${max}`);
    return v;
  };
}

export const bool: Shape<boolean> = (v, path) => (typeof v === 'boolean' ? v : wrong(v, path, 'true or false'));

export function oneOf<const T extends string>(values: readonly T[]): Shape<T> {
  return (v, path) => ((values as readonly unknown[]).includes(v) ? (v as T) : wrong(v, path, `one of ${values.join(', ')}`));
}

export function nullable<T>(shape: Shape<T>): Shape<T | null> {
  return (v, path) => (v === null ? null : shape(v, path));
}

export function arr<T>(item: Shape<T>, opts: { min?: number; max: number; check?: (a: T[]) => string | undefined }): Shape<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) return wrong(v, path, 'an array');
    if (v.length < (opts.min ?? 0)) return fail(path, `expected at least ${opts.min} item(s)`);
    if (v.length > opts.max) return fail(path, `expected at most ${opts.max} items`);
    const out = v.map((x, i) => item(x, at(path, i)));
    const problem = opts.check?.(out);
    return problem === undefined ? out : fail(path, problem);
  };
}

/** An object used as a map: every key matches `key`, every value `value`. */
export function record<T>(key: Shape<string>, value: Shape<T>): Shape<Record<string, T>> {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return wrong(v, path, 'an object');
    const out: Record<string, T> = {};
    for (const [k, x] of Object.entries(v)) {
      key(k, at(path, k));
      out[k] = value(x, at(path, k));
    }
    return out;
  };
}

type Fields = Record<string, Shape<unknown>>;
type Optional<F extends Fields> = { [K in keyof F]: undefined extends ReturnType<F[K]> ? K : never }[keyof F];
type ObjectOf<F extends Fields> = { [K in Exclude<keyof F, Optional<F>>]: ReturnType<F[K]> } & { [K in Optional<F>]?: ReturnType<F[K]> };

/** A field that may be absent (never null). */
export function optional<T>(shape: Shape<T>): Shape<T | undefined> {
  return (v, path) => (v === undefined ? undefined : shape(v, path));
}

/** An object with exactly these fields: an unknown field is an error, as is a missing required one. */
export function strict<F extends Fields>(fields: F, check?: (o: ObjectOf<F>) => string | undefined): Shape<ObjectOf<F>> {
  return (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return wrong(v, path, 'an object');
    for (const k of Object.keys(v)) if (!Object.hasOwn(fields, k)) fail(at(path, k), 'unknown field');
    const out: Record<string, unknown> = {};
    for (const [k, shape] of Object.entries(fields)) {
      // a required field's shape refuses undefined ("required"); an optional one passes it
      const checked = shape(Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined, at(path, k));
      if (checked !== undefined) out[k] = checked;
    }
    const problem = check?.(out as ObjectOf<F>);
    return problem === undefined ? (out as ObjectOf<F>) : fail(path, problem);
  };
}

/** One of several objects told apart by their `kind` field. */
export function byKind<T>(shapes: Record<string, Shape<T>>): Shape<T> {
  return (v, path) => {
    const kind = typeof v === 'object' && v !== null ? (v as { kind?: unknown }).kind : undefined;
    const shape = typeof kind === 'string' && Object.hasOwn(shapes, kind) ? shapes[kind] : undefined;
    return shape ? shape(v, path) : fail(at(path, 'kind'), `expected one of ${Object.keys(shapes).join(', ')}`);
  };
}
