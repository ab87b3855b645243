// berth's MCP server (stdio): one tool per verb an agent can use, each a thin door onto the same
// app function the CLI verb calls (src/app/), returning the same document as `--json` (as
// structured content, checked against the tool's outputSchema from the contract) and a short
// text. Only protocol goes to stdout. Errors are isError results whose text carries the code,
// message, hint (naming tools, not shell commands) and a failed start's last log lines; their
// _meta carries the error document.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { ContractName } from '../app/contract.ts';
import { errorDocument, errorText } from '../app/errors.ts';
import { Session } from '../app/session.ts';
import { registerTools } from './tools.ts';
import { outputSchemaOf } from './schema.ts';
import { LineTransport } from './transport.ts';

export type Doc = Record<string, unknown>;
type ToolResult = { content: Array<{ type: 'text'; text: string }>; structuredContent?: Doc; isError?: boolean; _meta?: Doc };

/**
 * Where an error result carries berth's error document. Not structuredContent: clients check
 * that against the tool's outputSchema (the verb's document) even for an error, and reject it.
 */
export const ERROR_META_KEY = 'berth/error';

/** Runs one tool call in a fresh session; maps every error to an isError result. */
async function call(version: string, work: (s: Session) => Promise<{ doc: Doc; text: string }>): Promise<ToolResult> {
  const session = new Session({ actor: `mcp:berth ${version} (pid ${process.pid})` });
  try {
    const { doc, text } = await work(session);
    return { content: [{ type: 'text', text }], structuredContent: doc };
  } catch (err) {
    const error = errorDocument(err, 'mcp');
    return { content: [{ type: 'text', text: errorText(error) }], isError: true, _meta: { [ERROR_META_KEY]: error } };
  } finally {
    session.close();
  }
}

export interface ToolDefinition<S extends z.ZodRawShape> {
  name: string;
  /** what it does, and when to use it instead of a shell command */
  description: string;
  input: S;
  /** the contract documents it returns */
  output: ContractName[];
  annotations: { readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean };
  work: (args: z.infer<z.ZodObject<S>>, s: Session) => Promise<{ doc: Doc; text: string }> | { doc: Doc; text: string };
}

export type DefineTool = <S extends z.ZodRawShape>(def: ToolDefinition<S>) => void;

export function createMcpServer(version: string): McpServer {
  const server = new McpServer({ name: 'berth', version });
  const define: DefineTool = (def) => {
    server.registerTool(
      def.name,
      { title: `berth ${def.name}`, description: def.description, inputSchema: def.input, outputSchema: outputSchemaOf(...def.output), annotations: { openWorldHint: false, ...def.annotations } },
      ((args: never) => call(version, async (s) => def.work(args, s))) as never,
    );
  };
  registerTools(define);
  return server;
}

/** Serves MCP on stdin/stdout until the client closes stdin. Problems are logged to stderr. */
export async function serveStdio(version: string): Promise<void> {
  const server = createMcpServer(version);
  const transport = new LineTransport();
  const closed = new Promise<void>((done) => {
    transport.onclose = () => done();
  });
  // connect() keeps our onclose and calls it after its own
  await server.connect(transport);
  server.server.onerror = (err) => process.stderr.write(`berth mcp: ${err.message}\n`);
  await closed;
  await server.close();
}
