// One short stable hash for the names berth derives from a path (a home's lock and socket names,
// a project's suffix): sha256 in hex, with node:crypto loaded at the call, not at import, since
// most calls never hash (docs/benchmarks.md "The hot verbs").
export function sha256Hex(text: string): string {
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(text).digest('hex');
}
