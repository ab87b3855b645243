// Property-based tests of every parser berth feeds with what users, agents, files and the
// kernel give it: for any input, a parser returns a valid value or throws berth's typed error
// (never a TypeError, RangeError or a hang), and what it returns round-trips where that makes
// sense. fast-check generates the inputs; a failure prints the shrunk counterexample.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { printableCell, printableLine } from '../../src/cli/format/printable.ts';
import { table } from '../../src/cli/format/table.ts';
import { commandToArgv, splitWords } from '../../src/core/config/command.ts';
import { ConfigError, loadProcfile, loadYaml } from '../../src/core/config/load.ts';
import { BerthError, UsageError } from '../../src/core/errors.ts';
import { judgeCommand } from '../../src/core/guard.ts';
import { parseLockLine } from '../../src/core/inspect/file-locks.ts';
import { parseFdInfo, parseStat } from '../../src/core/inspect/proc/procfs.ts';
import { parseNetTable } from '../../src/core/inspect/sockets.ts';
import { parseEnvPairs, parseOnConflict, parseRestart } from '../../src/core/supervisor/spec.ts';
import { MAX_DURATION_MS, parseCount, parseDuration, parseName, parsePort, parsePortRange, parseTarget } from '../../src/core/validate.ts';
import { BadRequestError, parseRestartRequest, parseRunRequest, parseStopRequest } from '../../src/daemon/requests.ts';
import { countHostile } from '../helpers/adversarial.ts';

const RUNS = 300;
// any text, including control characters, lone surrogates, NUL and long digit runs
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.stringMatching(/^[\s:.\d-]{0,40}[a-z]{0,3}$/), fc.string({ unit: 'grapheme-ascii', maxLength: 40 }));
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Runs fn; it must return or throw an error of the given class. Returns the value, or undefined if it threw. */
function typed<T>(fn: () => T, ErrorClass: new (...a: never[]) => Error = BerthError): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ErrorClass)) throw new Error(`threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}, not a ${ErrorClass.name}`, { cause: err });
    return undefined;
  }
}

function check<T>(t: TestContext, what: string, arb: fc.Arbitrary<T>, predicate: (v: T) => void, runs = RUNS): void {
  fc.assert(fc.property(arb, predicate), { numRuns: runs });
  countHostile(t, runs, what);
}

test('ports: any text is a port from 1 to 65535 or a UsageError; every port round-trips', (t) => {
  check(t, 'port texts', anyText, (s) => {
    const port = typed(() => parsePort(s), UsageError);
    if (port !== undefined) assert.ok(Number.isInteger(port) && port >= 1 && port <= 65535, `${JSON.stringify(s)} → ${port}`);
  });
  check(t, 'numbers as ports', fc.oneof(fc.integer(), fc.double()), (n) => {
    const port = typed(() => parsePort(n), UsageError);
    if (port !== undefined) assert.equal(port, n);
  });
  fc.assert(fc.property(fc.integer({ min: 1, max: 65535 }), (p) => parsePort(String(p)) === p && parsePort(`:${p}`) === p && parsePort(p) === p));
});

test('port ranges: any text is LOW-HIGH within 1-65535 or a UsageError; round-trips', (t) => {
  check(t, 'port range texts', anyText, (s) => {
    const r = typed(() => parsePortRange(s), UsageError);
    if (r !== undefined) assert.ok(r.low >= 1 && r.high <= 65535 && r.low <= r.high, JSON.stringify(r));
  });
  const range = fc.tuple(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 65535 })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
  fc.assert(fc.property(range, ([low, high]) => assert.deepEqual(parsePortRange(`${low}-${high}`), { low, high })));
});

test('durations (--ttl, --grace, --timeout): a whole number of ms up to 100 years, or a UsageError; round-trips', (t) => {
  const digits = fc.stringMatching(/^\d{1,30}(\.\d{1,5})?(ms|s|m|h|d)?$/);
  check(t, 'duration texts', fc.oneof(anyText, digits), (s) => {
    const ms = typed(() => parseDuration(s, '--ttl'), UsageError);
    if (ms !== undefined) assert.ok(Number.isSafeInteger(ms) && ms >= 0 && ms <= MAX_DURATION_MS, `${JSON.stringify(s)} → ${ms}`);
    // the one place a duration becomes a date: it must stay a valid one
    if (ms !== undefined) assert.ok(!Number.isNaN(new Date(Date.now() + ms).getTime()));
  });
  const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 36_500 }), fc.constantFrom(...(Object.keys(units) as Array<keyof typeof units>)), (n, unit) => {
      assert.equal(parseDuration(`${n}${unit}`), n * units[unit]);
    }),
  );
  assert.throws(() => parseDuration('99999999999999999999999d', '--ttl'), UsageError);
});

test('counts (-n, --limit, --max-restarts) and who/free targets: a bounded value or a UsageError', (t) => {
  check(t, 'count texts', fc.oneof(anyText, fc.stringMatching(/^\d{1,25}$/)), (s) => {
    const n = typed(() => parseCount(s, '-n', { min: 1, max: 1_000_000 }), UsageError);
    if (n !== undefined) assert.ok(Number.isSafeInteger(n) && n >= 1 && n <= 1_000_000);
  });
  check(t, 'who/free targets', anyText, (s) => {
    const target = typed(() => parseTarget(s), UsageError);
    if (target === undefined) return;
    assert.notEqual(s.trim(), '', 'an empty target is never taken (it would mean the current directory)');
    if (target.kind === 'path') assert.ok(!target.path.includes('\0'));
    else assert.ok(target.port >= 1 && target.port <= 65535);
  });
});

test('names and env pairs: valid ones round-trip; nothing with a control character is a name', (t) => {
  check(t, 'names', anyText, (s) => {
    const name = typed(() => parseName(s), UsageError);
    if (name !== undefined) {
      assert.equal(name, s);
      assert.ok(!CONTROL.test(name));
    }
  });
  check(t, 'restart and on_conflict policies', anyText, (s) => {
    typed(() => parseRestart(s), UsageError);
    typed(() => parseOnConflict(s), UsageError);
  });
  check(t, 'env pair lists', fc.array(anyText, { maxLength: 5 }), (pairs) => {
    const env = typed(() => parseEnvPairs(pairs), UsageError);
    if (env !== undefined) for (const k of Object.keys(env)) assert.match(k, /^[A-Za-z_][A-Za-z0-9_]*$/);
  });
  const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/);
  fc.assert(fc.property(key, fc.string({ unit: 'binary' }), (k, v) => assert.deepEqual(parseEnvPairs([`${k}=${v}`]), { [k]: v })));
});

test('command lines: split into words or refused with an Error; quoted words round-trip', (t) => {
  check(t, 'command lines', anyText, (s) => {
    typed(() => commandToArgv(s), Error);
  });
  const word = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });
  fc.assert(
    fc.property(fc.array(word, { minLength: 1, maxLength: 6 }), (words) => {
      const line = words.map((w) => `'${w.replaceAll("'", `'\\''`)}'`).join(' ');
      assert.deepEqual(splitWords(line), words);
    }),
  );
});

test('the guard judges any command without throwing', (t) => {
  const shellish = fc.array(fc.constantFrom('kill', '$(', 'lsof', '-t', '|', 'xargs', '&', '&&', 'nohup', 'npm', 'run', 'dev', ';', '`', 'pkill', 'fuser', '-k', '"', "'", '\n', '>&', '2>&1'), { maxLength: 12 }).map((w) => w.join(' '));
  check(t, 'guard commands', fc.oneof(anyText, shellish), (s) => {
    const verdict = judgeCommand(s);
    assert.equal(typeof verdict.allow, 'boolean');
  });
});

test('/proc parsers (stat, net/tcp, locks, fdinfo): never throw, and round-trip what the kernel writes', (t) => {
  check(t, '/proc lines', anyText, (s) => {
    parseStat(s);
    parseNetTable(`header\n${s}`, 'tcp', 'ipv4');
    parseNetTable(`header\n${s}`, 'udp', 'ipv6');
    parseLockLine(s);
    parseFdInfo(s);
  });
  // a comm may hold spaces and parentheses; the parser splits after the last ')'
  const comm = fc.string({ unit: 'grapheme-ascii', maxLength: 15 }).filter((c) => !c.includes('\n'));
  const n = fc.integer({ min: 1, max: 4_194_304 });
  fc.assert(
    fc.property(n, comm, n, n, fc.integer({ min: 0, max: 2 ** 40 }), (pid, c, ppid, pgid, start) => {
      const fields = ['S', ppid, pgid, pgid, 0, -1, 4194560, ...Array(12).fill(0), start, 0, 0];
      const stat = parseStat(`${pid} (${c}) ${fields.join(' ')}\n`)!;
      assert.deepEqual([stat.pid, stat.comm, stat.ppid, stat.pgid, stat.startTicks], [pid, c, ppid, pgid, start]);
    }),
  );
  const hex = (v: number, w: number): string => v.toString(16).toUpperCase().padStart(w, '0');
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 2 ** 31 }), (port, uid, inode) => {
      const line = `   0: 0100007F:${hex(port, 4)} 00000000:0000 0A 00000000:00000000 00:00000000 00000000 ${uid} 0 ${inode} 1 0 100 0 0 10 0`;
      assert.deepEqual(parseNetTable(`header\n${line}`, 'tcp', 'ipv4'), [{ protocol: 'tcp', family: 'ipv4', address: '127.0.0.1', port, uid, inode }]);
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 99999 }), fc.integer({ min: 1, max: 4_194_304 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.nat(), (id, pid, major, inode, start) => {
      const lock = parseLockLine(`${id}: POSIX  ADVISORY  WRITE ${pid} ${hex(major, 2)}:01:${inode} ${start} EOF`)!;
      assert.deepEqual([lock.id, lock.pid, lock.major, lock.inode, lock.start, lock.end], [id, pid, major, inode, start, null]);
    }),
  );
  fc.assert(fc.property(fc.integer({ min: 0, max: 0o7777777 }), (flags) => assert.equal(parseFdInfo(`pos:\t0\nflags:\t0${flags.toString(8)}\nmnt_id:\t1\n`).flags, flags)));
});

test('berth.yaml and Procfile: any document gives a project or a ConfigError, never anything else', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-prop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'berth.yaml');
  const load = (text: string): void => {
    writeFileSync(file, text);
    const project = typed(() => loadYaml(file), ConfigError);
    if (project !== undefined) for (const [name, svc] of project.services) assert.ok(svc.spec.name === name && svc.spec.argv.length > 0);
  };
  // text of any kind; YAML of random data; documents shaped like berth.yaml with random values
  check(t, 'berth.yaml texts', fc.oneof(anyText, fc.stringMatching(/^[\s\S]{0,200}$/)), load, 200);
  check(t, 'berth.yaml from random data', fc.jsonValue({ maxDepth: 4 }), (v) => load(stringify(v)), 200);
  const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('auto', '.', '/nonexistent', 'env', 'sleep 1', 'always', 'bogus', 70000, -1, 0, '/dev/zero', dir));
  const service = fc.dictionary(fc.constantFrom('run', 'port', 'health', 'env', 'env_file', 'cwd', 'restart', 'max_restarts', 'on_conflict', 'locks', 'depends_on', 'purpose', 'ephemeral', 'bogus'), value, { maxKeys: 6 });
  const doc = fc.record({ services: fc.dictionary(fc.stringMatching(/^[a-z.]{1,6}$/), service, { maxKeys: 3 }) });
  check(t, 'berth.yaml shaped documents', doc, (d) => load(stringify(d)), 300);
  const alias = '&a [x, x, x, x, x, x, x, x, x]\n';
  load(`a: ${alias}${['b', 'c', 'd', 'e', 'f', 'g', 'h'].map((k, i, ks) => `${k}: &${k} [${Array(9).fill(`*${i === 0 ? 'a' : ks[i - 1]}`).join(', ')}]`).join('\n')}\nservices: {}\n`);
  const procfile = join(dir, 'Procfile');
  check(t, 'Procfile texts', fc.array(fc.oneof(anyText, fc.stringMatching(/^[a-z]{1,5}: ?[a-z ]{0,10}$/)), { maxLength: 5 }).map((l) => l.join('\n')), (text) => {
    writeFileSync(procfile, text);
    typed(() => loadProcfile(procfile), ConfigError);
  });
});

test('socket API bodies: any JSON value is a valid request or a BadRequestError', (t) => {
  const owner = { session: 's', source: 'env', user: 'u' };
  const spec = { name: 'web', argv: ['sleep', '1'], cwd: '/tmp', env: {}, port: { kind: 'auto' }, health: null, restart: 'never', maxRestarts: null, purpose: null, ephemeral: false, onConflict: 'refuse', locks: [] };
  const good = { actor: 'a', owner, spec, env: {}, wait: false, timeoutMs: 1000 };
  // a valid request with one field replaced by a random value, or a random value altogether
  const field = fc.constantFrom('actor', 'owner', 'spec', 'env', 'wait', 'timeoutMs', 'protect', 'name', 'graceMs', 'extra');
  const specField = fc.constantFrom(...Object.keys(spec), 'extra');
  const hostile = fc.oneof(
    fc.anything({ maxDepth: 3 }),
    fc.tuple(field, fc.jsonValue({ maxDepth: 2 })).map(([k, v]) => ({ ...good, [k]: v })),
    fc.tuple(specField, fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('bogus', 70000, -1, 'a\0b', ['x\0'], { kind: 'fixed', port: 70000 }))).map(([k, v]) => ({ ...good, spec: { ...spec, [k]: v } })),
  );
  check(t, 'socket API bodies', hostile, (body) => {
    for (const parse of [parseRunRequest, parseStopRequest, parseRestartRequest]) {
      const req = typed(() => parse(body), BadRequestError) as { spec?: typeof spec } | undefined;
      if (req?.spec) {
        assert.ok(['always', 'on-failure', 'never'].includes(req.spec.restart));
        const port = req.spec.port as { kind: string; port?: number };
        if (port.kind === 'fixed') assert.ok(port.port! >= 1 && port.port! <= 65535);
      }
    }
  }, 500);
  assert.ok(parseRunRequest(good));
});

test('terminal output: no control character survives a table or a line', (t) => {
  check(t, 'table cells', fc.array(fc.array(fc.string({ unit: 'binary', maxLength: 30 }), { minLength: 3, maxLength: 3 }), { maxLength: 4 }), (rows) => {
    for (const line of table(['A', 'B', 'C'], rows)) assert.ok(!CONTROL.test(line), JSON.stringify(line));
  });
  check(t, 'output lines', fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
    assert.ok(!CONTROL.test(printableCell(s)));
    assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(printableLine(s)));
  });
  assert.equal(printableCell('evil\u001b[2Jname'), 'evil\\x1b[2Jname');
});
