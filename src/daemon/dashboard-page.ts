// The page and its static files. The page itself (app.js, app.css, built by the esbuild step
// into dist/dashboard/) is another part's; this module serves it from the package, never from a
// CDN (the machine may be offline), and fills in the per-run CSRF token. When no page has been
// built, a minimal one says so: the API works without it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const STATIC_DIR = fileURLToPath(new URL('../dashboard/', import.meta.url));
/** what the built index.html holds where the CSRF token goes */
const CSRF_PLACEHOLDER = '__BERTH_CSRF__';
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
// a flat name with a known extension: no path, no dot-file, nothing outside STATIC_DIR
const STATIC_NAME = /^\/([A-Za-z0-9_-][A-Za-z0-9._-]{0,100})(\.(?:js|css|map|svg|png))$/;

/** GET /: the page, with this run's CSRF token in <meta name="berth-csrf">. */
export function renderPage(csrf: string, dir = STATIC_DIR): string {
  const built = readOptional(join(dir, 'index.html'));
  if (built !== undefined) return built.toString('utf8').replaceAll(CSRF_PLACEHOLDER, csrf);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>berth</title>
<meta name="berth-csrf" content="${csrf}">
<link rel="stylesheet" href="/app.css"></head>
<body><main id="app"><h1>berth</h1><p>The dashboard's page is not built: run <code>npm run build</code>. Its API is under /api/.</p></main>
<script type="module" src="/app.js"></script></body></html>
`;
}

/** A static file of the page (GET /app.js, /app.css…), or undefined when there is none by that name. */
export function staticFile(path: string, dir = STATIC_DIR): { body: Buffer; type: string } | undefined {
  const m = STATIC_NAME.exec(path);
  if (!m) return undefined;
  const body = readOptional(join(dir, `${m[1]}${m[2]}`));
  return body === undefined ? undefined : { body, type: TYPES[m[2]!]! };
}

function readOptional(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}
