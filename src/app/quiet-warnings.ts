// The CLI's door to berth's warning filter (src/core/node-warnings.ts), imported first by the
// program: the CLI imports nothing from the core but types and errors, so it comes through here.
import '../core/node-warnings.ts';
