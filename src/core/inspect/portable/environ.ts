// A process's environment from ps: `ps eww -o command=` (BSD `e`; macOS also `-E`) prints the
// command and then the environment, "cmd arg A=1 B=two words C=3", all joined by spaces. berth
// reads BERTH_INSTANCE and BERTH_SESSION of other processes this way on macOS. The part after
// the command's own text is split before every " NAME=" (NAME a shell-style variable name).
// Ambiguous by nature: a value holding " X=" is cut there, and a value holding other spaces
// stays joined to its variable (which is what is wanted: "B=two words").
const BOUNDARY = / (?=[A-Za-z_][A-Za-z0-9_]*=)/;

/** The variables in `full` (command + environment) after `command` (the command alone). */
export function parseEnvTail(full: string, command: string): Record<string, string> {
  const env: Record<string, string> = {};
  if (!full.startsWith(command)) return env;
  const tail = full.slice(command.length);
  if (!tail.startsWith(' ')) return env;
  const seen = new Set<string>();
  for (const entry of tail.split(BOUNDARY)) {
    const eq = entry.indexOf('=');
    const name = entry.slice(0, eq).trim();
    if (!(eq > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))) continue;
    // A name seen twice means a value held " NAME=": which one is the variable cannot be told, so
    // neither is read (a BERTH_INSTANCE marker read from a value would make a stranger a member).
    if (seen.has(name)) delete env[name];
    else env[name] = entry.slice(eq + 1);
    seen.add(name);
  }
  return env;
}
