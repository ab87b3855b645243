// The MCP stdio transport berth serves on: newline-delimited JSON-RPC, like the SDK's
// StdioServerTransport, but hardened. The SDK's buffers the whole stream: a line over 10 MiB
// made it throw and close, so the server ended (exit 0, nothing on stderr), and a malformed
// line was dropped without an answer. Here a line is bounded (an over-long one is discarded up
// to its newline and answered with an error), malformed JSON is answered -32700 and a message
// that is not JSON-RPC -32600 (id null, or the request's id when it has a usable one), each
// is logged to stderr, and the server stays up for the next line. stdout carries only protocol.
// When stdin ends (a client that pipes its requests and closes), every request already read is
// still answered, and only then does the transport close: closing at once dropped the answers
// of calls still running (a piped initialize + tools/call got only the initialize answer).
import { ErrorCode, type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/** The longest line berth reads: far above any tool call, far below what hurts a shared machine. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

const NEWLINE = 0x0a;

export interface LineTransportOptions {
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** where problems are logged (default stderr) */
  log?: (text: string) => void;
  maxLineBytes?: number;
}

export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly input: NodeJS.ReadableStream;
  private readonly output: NodeJS.WritableStream;
  private readonly log: (text: string) => void;
  private readonly maxLineBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** the rest of an over-long line is being skipped, up to its newline */
  private discarding = false;
  private closed = false;
  /** stdin has ended: close once nothing read is left unanswered */
  private inputEnded = false;
  /** requests read and not yet answered, by id (a count: a client may reuse an id) */
  private readonly unanswered = new Map<string | number, number>();
  /** replies handed to stdout and not yet flushed */
  private writing = 0;

  constructor(opts: LineTransportOptions = {}) {
    this.input = opts.input ?? process.stdin;
    this.output = opts.output ?? process.stdout;
    this.log = opts.log ?? ((text) => process.stderr.write(`berth mcp: ${text}\n`));
    this.maxLineBytes = opts.maxLineBytes ?? MAX_LINE_BYTES;
  }

  async start(): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('end', this.onEnd);
    this.input.on('error', this.onInputError);
    this.output.on('error', this.onOutputError);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return;
    const text = `${JSON.stringify(message)}\n`;
    const id = 'method' in message ? undefined : (message as { id?: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number') this.settle(id);
    this.writing++;
    try {
      // resolved once flushed, so that closing after the last answer never cuts it off
      await new Promise<void>((resolve) => this.output.write(text, () => resolve()));
    } finally {
      this.writing--;
    }
    this.closeIfDone();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.off('error', this.onInputError);
    this.pending = [];
    this.pendingBytes = 0;
    this.onclose?.();
  }

  private readonly onData = (chunk: Buffer | string): void => {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    while (buf.length > 0 && !this.closed) {
      const nl = buf.indexOf(NEWLINE);
      const part = nl < 0 ? buf : buf.subarray(0, nl);
      buf = nl < 0 ? Buffer.alloc(0) : buf.subarray(nl + 1);
      if (this.discarding) {
        if (nl >= 0) this.discarding = false;
        continue;
      }
      if (this.pendingBytes + part.length > this.maxLineBytes) {
        // answered once, at once; the rest of the line is skipped as it arrives
        this.pending = [];
        this.pendingBytes = 0;
        this.discarding = nl < 0;
        this.reject(ErrorCode.InvalidRequest, `request too large: a line is at most ${this.maxLineBytes} bytes`, null, 'a line over the limit was discarded');
        continue;
      }
      this.pending.push(part);
      this.pendingBytes += part.length;
      if (nl >= 0) {
        const line = Buffer.concat(this.pending).toString('utf8');
        this.pending = [];
        this.pendingBytes = 0;
        this.handleLine(line);
      }
    }
  };

  private readonly onEnd = (): void => {
    if (this.pendingBytes > 0) this.handleLine(Buffer.concat(this.pending).toString('utf8'));
    this.inputEnded = true;
    this.closeIfDone();
  };

  /** After stdin ended: closes once every request read has its answer written out. */
  private closeIfDone(): void {
    if (this.inputEnded && this.unanswered.size === 0 && this.writing === 0) void this.close();
  }

  private settle(id: string | number): void {
    const n = this.unanswered.get(id) ?? 0;
    if (n <= 1) this.unanswered.delete(id);
    else this.unanswered.set(id, n - 1);
  }

  private readonly onInputError = (err: Error): void => {
    this.log(`stdin: ${err.message}`);
    this.onerror?.(err);
  };

  private readonly onOutputError = (err: Error): void => {
    // the client went away: nobody is left to answer
    this.log(`stdout: ${err.message}`);
    void this.close();
  };

  private handleLine(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      this.reject(ErrorCode.ParseError, 'Parse error', null, `a line is not JSON (${(err as Error).message.slice(0, 200)})`);
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      this.reject(ErrorCode.InvalidRequest, 'Invalid Request', usableId(value), `a message is not JSON-RPC 2.0 (${parsed.error.issues[0]?.message ?? 'wrong shape'})`);
      return;
    }
    const message = parsed.data;
    if ('method' in message && 'id' in message) this.unanswered.set(message.id, (this.unanswered.get(message.id) ?? 0) + 1);
    // a cancelled request gets no answer (the SDK drops it): nothing to wait for
    if ('method' in message && message.method === 'notifications/cancelled') {
      const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
      if (typeof id === 'string' || typeof id === 'number') {
        this.settle(id);
        queueMicrotask(() => this.closeIfDone());
      }
    }
    try {
      this.onmessage?.(message);
    } catch (err) {
      this.log(`handling a message failed: ${(err as Error).message}`);
      this.onerror?.(err as Error);
    }
  }

  private reject(code: number, message: string, id: string | number | null, logText: string): void {
    this.log(logText);
    // A JSON-RPC error object; the SDK's message type does not admit id null, which the
    // specification requires when the id cannot be read.
    void this.send({ jsonrpc: '2.0', id, error: { code, message } } as unknown as JSONRPCMessage);
  }
}

/** The id of a malformed request, if it has one a reply can carry (a string or a whole number). */
function usableId(value: unknown): string | number | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)) ? id : null;
}
