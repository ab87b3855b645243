// The socket boundary's validator: strict objects, required and unknown fields, nested paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arr, bool, byKind, int, nullable, oneOf, optional, record, ShapeError, str, strict } from '../../src/core/shape.ts';

const shape = strict({
  name: str({ pattern: /^[a-z]+$/, message: 'lowercase letters' }),
  n: int(1, 10),
  on: bool,
  mode: oneOf(['a', 'b']),
  tags: arr(str(), { max: 2 }),
  env: record(str({ pattern: /^[A-Z]+$/ }), str()),
  note: nullable(str()),
  extra: optional(int(0, 1)),
  target: byKind<{ kind: string }>({ port: strict({ kind: oneOf(['port']), port: int(1, 65535) }) }),
});
const good = { name: 'web', n: 3, on: true, mode: 'a', tags: ['x'], env: { A: '1' }, note: null, target: { kind: 'port', port: 80 } };

function problem(value: unknown): { path: string; message: string } {
  try {
    shape(value, '');
  } catch (err) {
    assert.ok(err instanceof ShapeError, String(err));
    return { path: err.path, message: err.message };
  }
  throw new Error('accepted');
}

test('shape: a valid value comes back as it was; an absent optional field stays absent', () => {
  assert.deepEqual(shape(good, ''), good);
  assert.deepEqual(shape({ ...good, extra: 1 }, ''), { ...good, extra: 1 });
});

test('shape: the first bad field is named with its path', () => {
  assert.deepEqual(problem(null), { path: '', message: 'expected an object' });
  assert.deepEqual(problem({ ...good, bogus: 1 }), { path: 'bogus', message: 'unknown field' });
  const { n: _n, ...noN } = good;
  assert.deepEqual(problem(noN), { path: 'n', message: 'required' });
  assert.deepEqual(problem({ ...good, n: 11 }), { path: 'n', message: 'expected a number from 1 to 10' });
  assert.deepEqual(problem({ ...good, n: 1.5 }), { path: 'n', message: 'expected a whole number' });
  assert.deepEqual(problem({ ...good, name: 'Web' }), { path: 'name', message: 'lowercase letters' });
  assert.deepEqual(problem({ ...good, tags: ['a', 'b', 'c'] }), { path: 'tags', message: 'expected at most 2 items' });
  assert.deepEqual(problem({ ...good, tags: [1] }), { path: 'tags.0', message: 'expected a string' });
  assert.deepEqual(problem({ ...good, env: { a: '1' } }), { path: 'env.a', message: 'does not match /^[A-Z]+$/' });
  assert.deepEqual(problem({ ...good, note: undefined }), { path: 'note', message: 'required' });
  assert.deepEqual(problem({ ...good, mode: 'c' }), { path: 'mode', message: 'expected one of a, b' });
  assert.deepEqual(problem({ ...good, target: { kind: 'path' } }), { path: 'target.kind', message: 'expected one of port' });
  assert.deepEqual(problem({ ...good, target: { kind: 'port', port: 0 } }), { path: 'target.port', message: 'expected a number from 1 to 65535' });
  assert.deepEqual(problem({ ...good, extra: null }), { path: 'extra', message: 'expected a whole number' });
});
