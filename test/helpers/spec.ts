// A complete service spec for the supervisor's unit tests, so that each test names only the
// fields its rule depends on.
import type { ServiceSpec } from '../../src/core/supervisor/spec.ts';

export function testSpec(patch: Partial<ServiceSpec> = {}): ServiceSpec {
  return {
    name: 'web',
    argv: ['node', 'server.js'],
    cwd: '/srv',
    env: {},
    port: { kind: 'auto' },
    health: null,
    restart: 'always',
    maxRestarts: null,
    purpose: null,
    ephemeral: false,
    onConflict: 'refuse',
    locks: [],
    ...patch,
  };
}
