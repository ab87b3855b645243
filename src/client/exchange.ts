// One request to berthd and its whole answer, in the small part of HTTP/1.1 the client needs,
// over node:net on the daemon's unix socket. node:http cost a fresh CLI process ~13 ms to load
// and ~5 ms more on its first request (its parser, agent and socket plumbing): more than berthd
// spends answering `ps` for 20 services (<1 ms). berthd stays a node:http server (the dashboard,
// the tests and curl talk to it); this is only its client, and it reads what any HTTP/1.1 server
// may send: an answer split across any number of reads, framed by content-length, by chunked
// transfer-encoding or by the close of the connection; a connection closed before the answer
// is whole is an error, never a short answer. See docs/decisions/0033-client-over-net.md.
import { connect } from 'node:net';

export interface Answer {
  status: number;
  /** header names lower-cased; a repeated header's values joined with ", " */
  headers: Map<string, string>;
  body: Buffer;
}

/** An answer no HTTP/1.1 server would send (a bad status line, a bad chunk size, too large). */
export class MalformedAnswerError extends Error {
  constructor(why: string) {
    super(`malformed answer from berthd: ${why}`);
    this.name = 'MalformedAnswerError';
  }
}

/** The connection ended before the answer was whole: errno-like (ECONNRESET), as node:http reported it. */
export class ClosedMidAnswerError extends Error {
  readonly code = 'ECONNRESET';
  constructor(what: string) {
    super(`berthd closed the connection ${what}`);
    this.name = 'ClosedMidAnswerError';
  }
}

// bounds on what the client holds in memory: an answer for thousands of services is a few MiB
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_ANSWER_BYTES = 256 * 1024 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** How the body ends, once the head is read. */
type Framing = { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

/** The status line and headers (the bytes before the blank line). */
export function parseHead(head: string): { status: number; headers: Map<string, string> } {
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] ([1-5]\d\d)(?: .*)?$/.exec(lines[0] ?? '');
  if (!m) throw new MalformedAnswerError(`bad status line ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MalformedAnswerError(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  return { status: Number(m[1]), headers };
}

function framingOf(status: number, headers: Map<string, string>): Framing {
  if (status === 204 || status === 304) return { kind: 'length', length: 0 };
  const te = headers.get('transfer-encoding');
  if (te !== undefined && /(^|,)\s*chunked\s*$/i.test(te)) return { kind: 'chunked' };
  const cl = headers.get('content-length');
  if (cl !== undefined) {
    if (!/^\d{1,15}$/.test(cl)) throw new MalformedAnswerError(`bad content-length ${JSON.stringify(cl.slice(0, 40))}`);
    const length = Number(cl);
    if (length > MAX_ANSWER_BYTES) throw new MalformedAnswerError(`an answer of ${length} bytes is larger than ${MAX_ANSWER_BYTES}`);
    return { kind: 'length', length };
  }
  return { kind: 'close' };
}

/**
 * Decodes a chunked body from `raw` (what followed the head so far): the body once the last
 * chunk (size 0) and the end of its trailers are in, undefined while more is needed.
 */
export function decodeChunked(raw: Buffer): Buffer | undefined {
  const pieces: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = raw.indexOf(CRLF, pos);
    if (eol < 0) {
      if (raw.length - pos > 1024) throw new MalformedAnswerError('a chunk size line longer than 1024 bytes');
      return undefined;
    }
    const sizeText = raw.subarray(pos, eol).toString('latin1').split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new MalformedAnswerError(`bad chunk size ${JSON.stringify(sizeText.slice(0, 20))}`);
    const size = parseInt(sizeText, 16);
    if (size === 0) {
      // the last chunk, then trailers (none from berthd), then an empty line: "0\r\n[trailers]\r\n"
      return raw.indexOf(HEAD_END, eol) >= 0 ? Buffer.concat(pieces) : undefined;
    }
    const start = eol + 2;
    if (raw.length < start + size + 2) return undefined;
    if (raw[start + size] !== 0x0d || raw[start + size + 1] !== 0x0a) throw new MalformedAnswerError('a chunk not followed by CRLF');
    pieces.push(raw.subarray(start, start + size));
    pos = start + size + 2;
  }
}

/**
 * Sends one request on a new connection to `socketPath` (Connection: close) and resolves to the
 * whole answer. Socket errors keep their errno code (ENOENT, ECONNREFUSED, EACCES…): the caller
 * starts the daemon or explains them.
 */
export function exchange(socketPath: string, method: 'GET' | 'POST', path: string, payload?: string): Promise<Answer> {
  if (!/^\/[\x21-\x7e]*$/.test(path)) return Promise.reject(new TypeError(`not a request path: ${JSON.stringify(path)}`));
  const body = payload === undefined ? undefined : Buffer.from(payload, 'utf8');
  const head =
    `${method} ${path} HTTP/1.1\r\nhost: berthd\r\nconnection: close\r\n` +
    (body !== undefined ? `content-type: application/json\r\ncontent-length: ${body.length}\r\n` : '') +
    '\r\n';
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    // Until the head's end is found, what came is joined (at most MAX_HEAD_BYTES and one read);
    // after it, the body's reads are kept as they came and joined once, when the answer is whole:
    // joining on every read copied the answer so far each time (a 20 MiB answer took 2 s).
    let buffered: Buffer = Buffer.alloc(0);
    const bodyParts: Buffer[] = [];
    let bodyBytes = 0;
    let answerHead: { status: number; headers: Map<string, string>; framing: Framing } | undefined;
    let settled = false;
    const finish = (err: Error | undefined, answer?: Answer): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(answer!);
    };
    const bodySoFar = (): Buffer => {
      if (bodyParts.length > 1) bodyParts.splice(0, bodyParts.length, Buffer.concat(bodyParts, bodyBytes));
      return bodyParts[0] ?? Buffer.alloc(0);
    };
    /** Whether the body so far ends with CRLF CRLF, the end of a chunked body (only then is it decoded). */
    const endsWithBlankLine = (): boolean => {
      let need = HEAD_END.length;
      for (let i = bodyParts.length - 1; i >= 0 && need > 0; i--) {
        const part = bodyParts[i]!;
        for (let j = part.length - 1; j >= 0 && need > 0; j--, need--) if (part[j] !== HEAD_END[need - 1]) return false;
      }
      return need === 0;
    };
    /** Takes a read; the answer if it is whole with what came so far (or with the end of the connection, `ended`). */
    const complete = (data: Buffer | undefined, ended: boolean): Answer | undefined => {
      if (!answerHead) {
        if (data !== undefined) buffered = buffered.length === 0 ? data : Buffer.concat([buffered, data]);
        const at = buffered.indexOf(HEAD_END);
        if (at < 0) {
          if (buffered.length > MAX_HEAD_BYTES) throw new MalformedAnswerError(`no end of the head within ${MAX_HEAD_BYTES} bytes`);
          return undefined;
        }
        const { status, headers } = parseHead(buffered.subarray(0, at).toString('latin1'));
        answerHead = { status, headers, framing: framingOf(status, headers) };
        const rest = buffered.subarray(at + 4);
        buffered = Buffer.alloc(0);
        if (rest.length > 0) bodyParts.push(rest);
        bodyBytes = rest.length;
      } else if (data !== undefined) {
        bodyParts.push(data);
        bodyBytes += data.length;
      }
      if (bodyBytes > MAX_ANSWER_BYTES) throw new MalformedAnswerError(`an answer larger than ${MAX_ANSWER_BYTES} bytes`);
      const { status, headers, framing } = answerHead;
      switch (framing.kind) {
        case 'length':
          return bodyBytes >= framing.length ? { status, headers, body: bodySoFar().subarray(0, framing.length) } : undefined;
        case 'chunked': {
          if (!ended && !endsWithBlankLine()) return undefined;
          const decoded = decodeChunked(bodySoFar());
          return decoded === undefined ? undefined : { status, headers, body: decoded };
        }
        case 'close':
          return ended ? { status, headers, body: bodySoFar() } : undefined;
      }
    };
    socket.on('connect', () => socket.write(body === undefined ? head : Buffer.concat([Buffer.from(head, 'latin1'), body])));
    socket.on('data', (data: Buffer) => {
      if (settled) return;
      try {
        const answer = complete(data, false);
        if (answer) finish(undefined, answer);
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.on('end', () => {
      try {
        const answer = complete(undefined, true);
        finish(answer ? undefined : new ClosedMidAnswerError(answerHead ? 'before the whole answer came' : buffered.length > 0 ? 'in the middle of the answer head' : 'without answering'), answer);
      } catch (err) {
        finish(err as Error);
      }
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish(new ClosedMidAnswerError('without answering')));
  });
}
