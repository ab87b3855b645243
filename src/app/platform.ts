// The platform check every door makes first (the CLI before parsing a verb, the library on each
// call): re-exported here because the doors import nothing from src/core but types and errors
// (test/app/layers.test.ts).
export { assertSupportedPlatform, UnsupportedPlatformError } from '../core/platform.ts';
