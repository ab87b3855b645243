// How the doors print text that comes from other processes (commands, cwds, log lines): the
// core's one escaper, re-exported here because the doors import nothing from src/core but types
// and errors (test/app/layers.test.ts).
export { escapeChar } from '../core/text.ts';
