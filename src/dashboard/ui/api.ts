// The page's only contact with berthd: GET the verbs' documents under /api/, POST actions with
// the CSRF token the server put in the page's <meta name="berth-csrf">, and listen to
// /api/stream for changes. An error answer becomes an ApiError carrying the error document.
import type { ErrorBody } from './types.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly body: ErrorBody;
  constructor(status: number, body: ErrorBody) {
    super(body.message);
    this.status = status;
    this.body = body;
  }
}

async function readAnswer<T>(res: Response): Promise<T> {
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError(res.status, { code: 'bad_answer', message: `berthd answered ${res.status} with something that is not JSON`, hint: 'reload the page; if it persists run berth dashboard again' });
  }
  if (!res.ok) {
    const err = (parsed as { error?: ErrorBody }).error;
    throw new ApiError(res.status, err ?? { code: 'http_' + res.status, message: `berthd answered ${res.status}` });
  }
  return parsed as T;
}

export async function getDoc<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, String(v));
  const qs = query.toString();
  const res = await fetch(`/api/${path}${qs ? `?${qs}` : ''}`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  return readAnswer<T>(res);
}

export type ActionVerb = 'stop' | 'restart' | 'free' | 'gc-orphans';

export interface ActionRequest {
  verb: ActionVerb;
  target: string;
  force?: boolean;
}

function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="berth-csrf"]')?.content ?? '';
}

export async function postAction(req: ActionRequest): Promise<unknown> {
  const res = await fetch('/api/action', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-berth-csrf': csrfToken() },
    body: JSON.stringify(req),
  });
  return readAnswer<unknown>(res);
}

export interface Change {
  kind: 'service' | 'event';
  name?: string;
  id?: number;
}

/**
 * Listens to /api/stream; `onChange` gets each change, `onState` whether the stream is up.
 * EventSource reconnects by itself after a daemon restart.
 */
export function watchChanges(onChange: (c: Change) => void, onState: (live: boolean) => void): EventSource {
  const source = new EventSource('/api/stream');
  source.addEventListener('open', () => onState(true));
  source.addEventListener('error', () => onState(false));
  source.addEventListener('change', (e) => {
    try {
      onChange(JSON.parse((e as MessageEvent<string>).data) as Change);
    } catch {
      // a line we cannot read: the next refresh catches up
    }
  });
  return source;
}
