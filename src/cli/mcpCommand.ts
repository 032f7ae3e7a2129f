/**
 * `loupe mcp`: Loupe's agent tools (src/agentTools) for any MCP client, over stdio. One engine and
 * one vision model serve the whole session, started on the first call that needs them. stdout
 * carries the protocol and nothing else.
 */
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { RootsListChangedNotificationSchema, type CallToolResult, type ServerNotification, type ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { name, version } from '../../package.json';
import { AGENT_TOOL_NAMES, AGENT_TOOLS, FoundAnswerSchema, OcrAnswerSchema, type AgentToolName } from '../agentTools/toolCatalog';
import { AgentToolFailure, answerText, runAgentTool, type AgentToolHost } from '../agentTools/runAgentTool';
import { DEFAULT_MODEL_ID } from '../catalog/catalog';
import type { EngineClient } from '../client/engineClient';
import type { VisionModel } from '../client/visionModel';
import { DEFAULT_ALT_MAX_LENGTH } from '../protocol/altTextDefaults';
import { EngineError } from '../protocol/engineError';
import { PRESET_NAMES, type PresetName } from '../protocol/options';
import { startEngine, visionModelFor } from './engineSession';
import { NoModelInstalled } from './modelResolution';
import { preset } from './optionParsers';
import { remoteEndpoint, withRemoteFlags, type RemoteFlags } from './remoteFlags';
import { samplingOverrides, withSamplingFlags, type SamplingFlags } from './samplingFlags';

interface McpFlags extends RemoteFlags, SamplingFlags {
  model?: string;
  preset: PresetName;
  ocr?: boolean;
}

type CallExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

const INSTRUCTIONS =
  'Loupe looks at images on this machine for you. Use its tools whenever a task depends on an image you cannot see yourself ' +
  '(a screenshot, diagram, chart or an image in a document): loupe_read_image_text for exact text such as error messages and labels, ' +
  'loupe_describe_image or loupe_ask_image for what the image shows, loupe_alt_text for alt text. ' +
  'Give the image as a path inside the open folders, as base64 imageData, or as a document and the line of its image reference.';

const INSTALL_HINT = `Install one with \`loupe models download ${DEFAULT_MODEL_ID}\`, or pass --model <folder>.`;

export function registerMcpCommand(program: Command): void {
  withSamplingFlags(withRemoteFlags(program.command('mcp')))
    .description("serve Loupe's image tools to an agent (MCP client) over stdio")
    .option('-m, --model <dir|id>', 'model folder or installed model id (default: $LOUPE_MODEL, then the default model)')
    .option('-p, --preset <name>', `speed/detail preset: ${PRESET_NAMES.join(', ')}`, preset, 'balanced')
    .option('--no-ocr', 'do not give OCR text to the local model')
    .action((flags: McpFlags) => serveMcp(flags));
}

async function serveMcp(flags: McpFlags): Promise<void> {
  // Bad flags end the server now, where whoever configured it sees them, not at the agent's first call.
  remoteEndpoint(flags);
  const protocolOut = claimStdout();
  const engine = startEngine();
  const server = new McpServer({ name, version }, { instructions: INSTRUCTIONS });
  const host = mcpHost(flags, engine, clientRoots(server));
  for (const tool of AGENT_TOOL_NAMES) registerAgentTool(server, tool, host);
  const stdinClosed = new Promise((resolve) => process.stdin.once('end', resolve));
  await server.connect(new StdioServerTransport(process.stdin, protocolOut));
  await stdinClosed;
  await server.close();
  await engine.dispose();
}

/**
 * The protocol's own stream to stdout; everything else written to stdout goes to stderr instead:
 * console.* here, and the engine worker's output, which Node pipes into process.stdout.write
 * (transformers.js and onnxruntime print there).
 */
function claimStdout(): Writable {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  return new Writable({ write: (chunk: Buffer, _encoding, done) => write(chunk, done) });
}

function mcpHost(flags: McpFlags, engine: EngineClient, roots: () => Promise<readonly string[]>): AgentToolHost {
  let chosen: Promise<VisionModel> | undefined;
  return {
    inspect: (image) => engine.inspect(image),
    ocr: (image) => engine.ocr(image),
    // Chosen once for the session; a failure (no model yet, a refused server) is tried again next call.
    model: () =>
      (chosen ??= chooseModel(flags, engine).catch((error: unknown) => {
        chosen = undefined;
        throw error;
      })),
    settings: () => ({ preset: flags.preset, sampling: samplingOverrides(flags), ocrGrounding: flags.ocr !== false, altTextMaxLength: DEFAULT_ALT_MAX_LENGTH }),
    roots,
    installHint: INSTALL_HINT,
  };
}

async function chooseModel(flags: McpFlags, engine: EngineClient): Promise<VisionModel> {
  try {
    return await visionModelFor(flags, engine);
  } catch (error) {
    // A terminal gets a screen of choices; an agent gets one line, and runAgentTool adds the install hint.
    if (error instanceof NoModelInstalled) throw new EngineError('MODEL_MISSING', 'No vision model is installed.');
    throw error;
  }
}

/** The folders images may come from: the client's roots when it has them, else the working directory. */
function clientRoots(server: McpServer): () => Promise<readonly string[]> {
  let listed: Promise<string[]> | undefined;
  server.server.setNotificationHandler(RootsListChangedNotificationSchema, () => {
    listed = undefined;
  });
  return () => {
    if (!server.server.getClientCapabilities()?.roots) return Promise.resolve([process.cwd()]);
    return (listed ??= listRoots(server).catch((error: unknown) => {
      listed = undefined;
      throw error;
    }));
  };
}

async function listRoots(server: McpServer): Promise<string[]> {
  const { roots } = await server.server.listRoots().catch((error: unknown) => {
    throw new AgentToolFailure(`The client did not say which folders are open: ${error instanceof Error ? error.message : String(error)}`);
  });
  // Only file: roots are folders on this machine.
  return roots.filter((root) => root.uri.startsWith('file:')).map((root) => fileURLToPath(root.uri));
}

function registerAgentTool(server: McpServer, tool: AgentToolName, host: AgentToolHost): void {
  const { title, description, input } = AGENT_TOOLS[tool];
  const outputSchema = tool === 'loupe_read_image_text' ? OcrAnswerSchema : tool === 'loupe_find_in_image' ? FoundAnswerSchema : undefined;
  server.registerTool(tool, { title, description, inputSchema: input, outputSchema }, async (args: unknown, extra: CallExtra): Promise<CallToolResult> => {
    try {
      const answer = await runAgentTool(tool, args, host, { signal: extra.signal, onProgress: progressReporter(extra) });
      return { content: [{ type: 'text', text: answerText(answer) }], ...((answer.ocr ?? answer.found) && { structuredContent: answer.ocr ?? answer.found }) };
    } catch (error) {
      if (!(error instanceof AgentToolFailure)) throw error;
      // Words the calling model can act on, never a stack.
      return { isError: true, content: [{ type: 'text', text: error.message }] };
    }
  });
}

/** Each phase as a progress notification, when the client asked for them (a progressToken). */
function progressReporter(extra: CallExtra): ((message: string) => void) | undefined {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) return undefined;
  let progress = 0;
  return (message) => {
    progress += 1;
    // Best effort: a client that went away must not fail the call.
    extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message } }).catch(() => undefined);
  };
}
