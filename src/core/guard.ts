// The guard: decides whether a shell command an agent is about to run should go through berth
// instead. It blocks two habits from the incident reports: starting a server in the background
// by hand (& nohup setsid disown), which leaves an orphan holding a port after the agent's
// context resets (also inside a detached tmux or screen session, which outlives the agent the
// same way); and killing broadly (pkill, killall, fuser -k, kill $(lsof …), … | xargs kill),
// which has killed agents' own sessions and other agents' work.

export interface GuardVerdict {
  allow: boolean;
  /** why it is blocked, naming the berth command to use instead */
  reason?: string;
}

const SERVER_WORDS = [
  /\b(npm|pnpm|yarn|bun)\s+(run\s+)?(dev|start|serve|preview|watch)\b/,
  /\b(npx|pnpx|bunx)\s+(vite|next|nuxt|astro|remix|serve|http-server|webpack|nodemon|tsc\s+(-w|--watch)|json-server|live-server|parcel|storybook)\b/,
  /\b(vite|next\s+(dev|start)|nuxt\s+dev|astro\s+dev|nodemon|http-server|live-server|json-server|webpack(-dev-server|\s+serve)|parcel)\b/,
  /\bpython[0-9.]*\s+(-u\s+)?-m\s+(http\.server|uvicorn|gunicorn|flask|django|streamlit|jupyter|SimpleHTTPServer)\b/,
  /\b(uvicorn|gunicorn|hypercorn|daphne|flask\s+run|streamlit\s+run|jupyter\s+(lab|notebook)|celery\s+.*worker)\b/,
  /\bmanage\.py\s+runserver\b/,
  /\b(rails\s+(s|server)|bundle\s+exec\s+(rails|puma|unicorn)|puma|rackup)\b/,
  /\bphp\s+(-S|artisan\s+serve)\b/,
  /\b(hugo\s+server|jekyll\s+serve|mkdocs\s+serve|docusaurus\s+start)\b/,
  /\b(redis-server|mongod|postgres|pg_ctl\s+start|mysqld|memcached|nginx|caddy\s+run|minio\s+server)\b/,
  /\b(tsc|esbuild|rollup|cargo\s+watch)\b.*\s(-w|--watch)\b/,
  /\bnode\s+\S*(server|app|index|main|dev|api)\S*\.(c|m)?[jt]s\b/,
  /\b(deno\s+(run|serve|task)|go\s+run|cargo\s+run|dotnet\s+(run|watch)|mvn\s+spring-boot:run|gradle\w*\s+bootRun)\b/,
  /\bdocker\s+(compose\s+up|run)\b/,
  /\b(ngrok|cloudflared\s+tunnel)\b/,
];

/** The command text with quoted strings blanked, so operators inside quotes are not seen. */
function unquote(command: string): string {
  return command.replace(/'[^']*'/g, "''").replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

function looksLikeServer(segment: string): boolean {
  return SERVER_WORDS.some((re) => re.test(segment));
}

/**
 * The command split at unquoted ; && || | and newlines, quotes kept out but their text kept in:
 * `tmux new -d 'cd web && npm run dev'` is one segment whose text includes the server command.
 */
function rawSegments(command: string): string[] {
  const segments: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < command.length) current += command[++i];
      else current += c;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === ';' || c === '\n' || c === '|' || (c === '&' && command[i + 1] === '&')) {
      segments.push(current.trim());
      current = '';
      if (command[i + 1] === c) i++;
    } else current += c;
  }
  segments.push(current.trim());
  return segments.filter((s) => s !== '');
}

// A terminal multiplexer session started detached: it outlives this agent's shell like `&` does.
const DETACHED_SESSION = [
  /\btmux\s+(.*\s)?(new|new-session|new-window|neww|split-window|splitw)\s(.*\s)?-[A-Za-z]*d[A-Za-z]*(\s|$)/,
  /\btmux\s+(.*\s)?(send-keys|send)\s/,
  /\bscreen\s+(.*\s)?(-[A-Za-z]*(d[A-Za-z]*m|m[A-Za-z]*d)[A-Za-z]*|-d\s+-m|-m\s+-d)(\s|$)/,
];

/** A port named in a process search (lsof -i :P, lsof -i tcp:P, fuser P/tcp, ss sport = :P), if one is. */
function searchedPort(command: string): string | null {
  const m = /\blsof\b[^|;&]*-[A-Za-z]*i\s*(?:tcp|udp)?:?(\d{1,5})\b/.exec(command) ?? /\bfuser\b[^|;&]*\b(\d{1,5})\/(?:tcp|udp)\b/.exec(command) ?? /\bss\b[^|;&]*sport\s*=?\s*:(\d{1,5})\b/.exec(command);
  return m ? m[1]! : null;
}

const STOP_INSTEAD = 'use `berth who PORT` to see who holds it, then `berth free PORT` (or `berth stop NAME` for a berth service): identity-checked, graceful, and never another session\'s process by accident';
const RUN_INSTEAD = 'use `berth run NAME --port auto -- CMD` instead: the same server on the next call instead of a second one, a free port as $PORT, logs in `berth logs NAME`, and it is stopped with `berth stop NAME`';

export function judgeCommand(command: string): GuardVerdict {
  const text = unquote(command);
  const segments = text.split(/\|\||&&|;|\n|\|/).map((s) => s.trim());
  for (const segment of segments) {
    const words = segment.split(/\s+/);
    const cmd = words.find((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) && w !== 'sudo' && w !== 'exec' && w !== 'command') ?? '';
    const base = cmd.replace(/^.*\//, '');
    if (base === 'pkill' || base === 'killall') return { allow: false, reason: `\`${base}\` kills every process that matches, including other agents' and your own session's. ${STOP_INSTEAD}` };
    if (base === 'fuser' && words.some((w) => /^-\w*k/.test(w))) return { allow: false, reason: `\`fuser -k\` kills whatever holds the port, unchecked. ${STOP_INSTEAD}` };
  }
  // kill fed by a process search: kill $(lsof -t -i:8080), kill `pgrep node`, lsof -t … | xargs kill,
  // ps aux | grep vite | awk '{print $2}' | xargs kill. A literal pid list piped to xargs kill
  // (echo 123 | xargs kill) was not found by a search here, and is left to the agent.
  if (/\bkill\b[^;&|]*(\$\(|`)\s*(lsof|pgrep|pidof|fuser|ps|ss|netstat)\b/.test(command) || /\b(lsof|pgrep|pidof|ps|fuser|ss|netstat)\b[^;&]*\|\s*(sudo\s+)?xargs(\s+(-\S+|\{\}))*\s+(-\S+\s+)*kill\b/.test(command)) {
    const port = searchedPort(command);
    const instead = port !== null ? `use \`berth who ${port}\` to see who holds it, then \`berth free ${port}\`` : 'use `berth stop NAME` for a berth service (`berth ps` lists them), or `berth who PORT` then `berth free PORT`';
    return { allow: false, reason: `killing the result of a process search hits whatever matches, including processes of other sessions. ${instead}: identity-checked, graceful, and never another session's process by accident` };
  }
  // a server started in a detached tmux or screen session: tmux new -d 'npm run dev', screen -dmS web npm start
  for (const segment of rawSegments(command)) {
    if (DETACHED_SESSION.some((re) => re.test(segment)) && looksLikeServer(segment)) {
      return { allow: false, reason: `a server started in a detached tmux or screen session outlives this agent's session like a background job, holding its port with no owner berth knows. ${RUN_INSTEAD}` };
    }
  }
  // background servers: a lone & (not &&, not >&, not &>), nohup, setsid, disown
  const background = /(^|[^&>|])&(?![&>])\s*($|[^&])/.test(text.replace(/[0-9]?>&[0-9-]/g, '').replace(/&>/g, ''));
  const detached = /(^|[\s;&|(])(nohup|setsid|disown)\b/.test(text);
  if ((background || detached) && segments.some((s) => !/^berth\b/.test(s) && looksLikeServer(s))) {
    return { allow: false, reason: `starting a server in the background by hand leaves an orphan holding its port when this session's context resets, and the next start fails with EADDRINUSE. ${RUN_INSTEAD}` };
  }
  return { allow: true };
}
