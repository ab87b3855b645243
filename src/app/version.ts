// berth's version, for `berth --version`: its own small module, so that the CLI's start-up does
// not load the input parsers (src/app/input.ts re-exports it for the other doors).
export { packageVersion } from '../core/package.ts';
