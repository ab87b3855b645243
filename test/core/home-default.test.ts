// The default home follows the platform (decision 0029): BERTH_HOME, then XDG_STATE_HOME, then
// ~/.local/state/berth on Linux and other Unixes, ~/Library/Application Support/berth on macOS
// unless a ~/.local/state/berth is already there (a home is never moved).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveHome } from '../../src/core/home.ts';
import { tempDir } from '../helpers/home.ts';

test('Linux keeps ~/.local/state/berth; macOS uses ~/Library/Application Support/berth', (t) => {
  const user = tempDir(t);
  assert.equal(resolveHome({ HOME: user }, 'linux'), join(user, '.local/state/berth'));
  assert.equal(resolveHome({ HOME: user }, 'freebsd'), join(user, '.local/state/berth'));
  assert.equal(resolveHome({ HOME: user }, 'darwin'), join(user, 'Library/Application Support/berth'));
});

test('BERTH_HOME and XDG_STATE_HOME win on every platform', (t) => {
  const user = tempDir(t);
  for (const platform of ['linux', 'darwin'] as const) {
    assert.equal(resolveHome({ HOME: user, BERTH_HOME: '/srv/b', XDG_STATE_HOME: '/x' }, platform), '/srv/b');
    assert.equal(resolveHome({ HOME: user, XDG_STATE_HOME: '/x/state' }, platform), '/x/state/berth');
  }
});

test('on macOS an existing ~/.local/state/berth stays the home (never moved)', (t) => {
  const user = tempDir(t);
  mkdirSync(join(user, '.local/state/berth'), { recursive: true, mode: 0o700 });
  assert.equal(resolveHome({ HOME: user }, 'darwin'), join(user, '.local/state/berth'));
});
