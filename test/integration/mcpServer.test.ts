/**
 * `loupe mcp` as an agent's MCP client sees it: the SDK's client spawning the built CLI, the tiny
 * model (its words are random, so answers are checked by their provenance line), real files, and
 * a loopback model server for consent.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema, type CallToolResult, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { AGENT_TOOL_NAMES, FoundAnswerSchema, inputJsonSchema, OcrAnswerSchema } from '../../src/agentTools/toolCatalog';
import { imageFixture, repoRoot, tinyModelDir } from '../support/paths';
import { startOpenAiServer } from '../support/openAiServer';
import { suiteScratchDir } from '../support/scratchDir';

const cli = join(repoRoot, 'dist', 'cli.js');
const ocrFixture = join(repoRoot, 'test', 'fixtures', 'ocr', 'error-dialog@1x.png');
const PROVENANCE = /\n\n\[Loupe looked at .+\]$/;

interface Session {
  client: Client;
  /** What the server wrote to stderr so far, for failure messages. */
  stderr(): string;
  /** The client's roots, when it declares them; change them with `setRoots`. */
  setRoots(folders: string[]): Promise<void>;
  close(): Promise<void>;
}

/** The environment of a user with nothing configured: no model, server or consent from this machine's shell. */
function cleanEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  const unset = new Set(['LOUPE_MODEL', 'LOUPE_ENDPOINT', 'LOUPE_REMOTE_MODEL', 'LOUPE_API_KEY', 'LOUPE_SEND_IMAGES_TO']);
  const kept = Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !unset.has(entry[0]));
  return { ...Object.fromEntries(kept), LOUPE_HOME: home, ...extra };
}

async function startServer(args: string[], options: { home: string; cwd?: string; roots?: string[]; env?: Record<string, string> }): Promise<Session> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [cli, 'mcp', ...args], cwd: options.cwd ?? repoRoot, env: cleanEnv(options.home, options.env), stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
  let roots = options.roots ?? [];
  const client = new Client({ name: 'loupe-test', version: '1.0.0' }, { capabilities: options.roots ? { roots: { listChanged: true } } : {} });
  if (options.roots) client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: roots.map((folder) => ({ uri: pathToFileURL(folder).href })) }));
  await client.connect(transport);
  return {
    client,
    stderr: () => stderr,
    setRoots: async (folders) => {
      roots = folders;
      await client.sendRootsListChanged();
    },
    close: () => client.close(),
  };
}

async function call(session: Session, name: string, args: Record<string, unknown>, onprogress?: (progress: Progress) => void, signal?: AbortSignal): Promise<CallToolResult> {
  return (await session.client.callTool({ name, arguments: args }, undefined, { onprogress, signal })) as CallToolResult;
}

function textOf(result: CallToolResult): string {
  assert.equal(result.content.length, 1);
  const [part] = result.content;
  assert.equal(part!.type, 'text');
  return (part as { text: string }).text;
}

function answer(session: Session, result: CallToolResult): string {
  const text = textOf(result);
  assert.ok(!result.isError, `${text}\n${session.stderr()}`);
  assert.match(text, PROVENANCE);
  assert.ok(text.replace(PROVENANCE, '').trim().length > 0, 'an answer before the provenance line');
  return text;
}

function refusal(result: CallToolResult): string {
  const text = textOf(result);
  assert.equal(result.isError, true, text);
  assert.doesNotMatch(text, /\n\s+at /, 'no stack');
  return text;
}

describe('loupe mcp with the tiny model', () => {
  const scratch = suiteScratchDir('loupe-mcp-');
  let session: Session;
  let folder: string;
  before(async () => {
    folder = join(scratch(), 'project');
    mkdirSync(folder);
    for (const name of ['chart.png', 'diagram.png', 'screenshot-256x384.png']) copyFileSync(imageFixture(name), join(folder, name));
    copyFileSync(ocrFixture, join(folder, 'error-dialog.png'));
    writeFileSync(join(folder, 'notes.png'), 'These are notes, not an image.\n');
    writeFileSync(join(folder, 'empty.png'), '');
    writeFileSync(join(folder, 'big.png'), '');
    truncateSync(join(folder, 'big.png'), 60 * 1024 * 1024);
    session = await startServer(['--model', tinyModelDir, '--preset', 'fast'], { home: scratch(), roots: [folder] });
  });
  after(() => session.close());

  it('lists the catalog\'s tools with their input schemas, and the output schemas of OCR and Find', async () => {
    const { tools } = await session.client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), [...AGENT_TOOL_NAMES].sort());
    for (const tool of tools) {
      const { $schema, ...schema } = tool.inputSchema as Record<string, unknown>;
      assert.ok($schema);
      assert.deepEqual(schema, inputJsonSchema(tool.name as (typeof AGENT_TOOL_NAMES)[number]), tool.name);
      assert.ok(tool.title && tool.description, tool.name);
    }
    const ocr = tools.find((tool) => tool.name === 'loupe_read_image_text')!;
    assert.deepEqual(ocr.outputSchema, z.toJSONSchema(OcrAnswerSchema, { target: 'draft-7', io: 'output' }));
    const find = tools.find((tool) => tool.name === 'loupe_find_in_image')!;
    assert.deepEqual(find.outputSchema, z.toJSONSchema(FoundAnswerSchema, { target: 'draft-7', io: 'output' }));
    assert.deepEqual(tools.filter((tool) => tool.outputSchema).map((tool) => tool.name).sort(), ['loupe_find_in_image', 'loupe_read_image_text']);
  });

  it('finds things: boxes in image pixels as structured content, and the same boxes listed in the text', async () => {
    const found = await call(session, 'loupe_find_in_image', { image: 'screenshot-256x384.png', what: 'the Save button' });
    const text = answer(session, found);
    const result = FoundAnswerSchema.parse(found.structuredContent);
    assert.deepEqual(result.image, { width: 256, height: 384 });
    assert.match(text, new RegExp(`^${result.boxes.length} found \\(x, y, width, height in pixels of the 256×384 image\\)`));
    for (const box of result.boxes) {
      assert.ok(text.includes(`: ${box.x}, ${box.y}, ${box.width}, ${box.height}`), `${JSON.stringify(box)} in ${text}`);
      assert.ok(box.x + box.width <= 256 && box.y + box.height <= 384, `inside the image: ${JSON.stringify(box)}`);
    }
  });

  it('describes, answers, writes alt text and reads text, saying what it looked at', async () => {
    const described = answer(session, await call(session, 'loupe_describe_image', { image: 'chart.png', kind: 'chart' }));
    assert.match(described, /\[Loupe looked at .*chart\.png, PNG 640×400 · the model on this machine \(.*lfm2-vl-tiny.*\) · preset fast · 1 tile, \d+ image tokens/);
    const asked = answer(session, await call(session, 'loupe_ask_image', { image: join(folder, 'screenshot-256x384.png'), question: 'Which button is disabled?' }));
    assert.match(asked, /\[Loupe looked at .*screenshot-256x384\.png, PNG 256×384 · /);
    const imageData = readFileSync(join(folder, 'diagram.png')).toString('base64');
    const alt = answer(session, await call(session, 'loupe_alt_text', { imageData, context: 'How requests reach the engine.' }));
    assert.match(alt, /\[Loupe looked at the image data, PNG 640×240 · /);

    const read = await call(session, 'loupe_read_image_text', { image: 'error-dialog.png' });
    assert.match(answer(session, read), /Unable to save file[\s\S]*\[Loupe looked at .*error-dialog\.png, PNG 520×250 · PaddleOCR/);
    const ocr = OcrAnswerSchema.parse(read.structuredContent);
    assert.deepEqual([ocr.width, ocr.height], [520, 250]);
    const lines = ocr.lines.map((line) => line.text);
    for (const known of ['Microsoft Excel', 'Unable to save file', 'Error code: ENOSPC (28)']) assert.ok(lines.includes(known), `${known} in ${JSON.stringify(lines)}`);
  });

  it('reports each phase as progress when the client asks for it', async () => {
    const updates: Progress[] = [];
    answer(session, await call(session, 'loupe_ask_image', { image: 'diagram.png', question: 'What connects to the engine?' }, (progress) => updates.push(progress)));
    assert.ok(updates.length >= 2, JSON.stringify(updates));
    assert.ok(updates.every((update, i) => i === 0 || update.progress > updates[i - 1]!.progress), JSON.stringify(updates));
    assert.ok(updates.some((update) => update.message === 'Generating'), JSON.stringify(updates));
  });

  it('refuses, in words, a missing file, a text file, an empty file and one over the size limit', async () => {
    assert.match(refusal(await call(session, 'loupe_describe_image', { image: 'missing.png' })), /There is no image missing\.png in .*project/);
    assert.match(refusal(await call(session, 'loupe_describe_image', { image: 'notes.png' })), /notes\.png is not an image: it contains text/);
    assert.match(refusal(await call(session, 'loupe_describe_image', { image: 'empty.png' })), /empty\.png is empty \(0 bytes\)/);
    assert.match(refusal(await call(session, 'loupe_describe_image', { image: 'big.png' })), /big\.png is 62\.9 MB, more than the 50 MB Loupe reads/);
  });

  it('reads no image outside the client\'s roots, and follows their changes', async () => {
    const outside = imageFixture('grey.png');
    assert.match(refusal(await call(session, 'loupe_read_image_text', { image: outside })), /grey\.png is outside the folders open here \(.*project\); Loupe reads no image from outside them/);
    await session.setRoots([folder, join(repoRoot, 'test', 'fixtures', 'images')]);
    answer(session, await call(session, 'loupe_read_image_text', { image: outside }));
    await session.setRoots([folder]);
  });
});

describe('loupe mcp cancellation', () => {
  const scratch = suiteScratchDir('loupe-mcp-cancel-');
  let session: Session;
  before(async () => (session = await startServer(['--model', tinyModelDir, '--preset', 'detailed'], { home: scratch() })));
  after(() => session.close());

  it('ends a cancelled call at once, and the engine takes the next call', async () => {
    const image = 'test/fixtures/images/screenshot-256x384.png';
    const controller = new AbortController();
    let abortedAt = 0;
    const cancelled = call(session, 'loupe_describe_image', { image }, (progress) => {
      if (progress.message !== 'Generating' || controller.signal.aborted) return;
      abortedAt = Date.now();
      controller.abort();
    }, controller.signal);
    await assert.rejects(cancelled, (error: Error) => error.name === 'AbortError' || /abort/i.test(error.message));
    answer(session, await call(session, 'loupe_read_image_text', { image }));
    const afterCancel = Date.now() - abortedAt;

    const started = Date.now();
    answer(session, await call(session, 'loupe_describe_image', { image }));
    const whole = Date.now() - started;
    // Had the engine gone on generating, reading the text would have waited for most of a whole answer
    // (a third to two thirds of it, measured); cancelled, it takes a few percent.
    assert.ok(afterCancel < whole / 5, `${afterCancel} ms after cancelling vs ${whole} ms for a whole answer`);
  });
});

describe('loupe mcp without a model or consent', () => {
  const scratch = suiteScratchDir('loupe-mcp-none-');

  it('says how to install a model when none is, and still reads text', async () => {
    const session = await startServer([], { home: scratch() });
    try {
      const text = refusal(await call(session, 'loupe_describe_image', { image: 'test/fixtures/images/chart.png' }));
      assert.equal(text, 'No vision model is installed. Install one with `loupe models download lfm2.5-vl-450m`, or pass --model <folder>.');
      answer(session, await call(session, 'loupe_read_image_text', { image: 'test/fixtures/images/chart.png' }));
    } finally {
      await session.close();
    }
  });

  it('sends no image to a model server the user did not allow, and names its host', async () => {
    const server = await startOpenAiServer({ models: ['m'] });
    const endpoint = server.baseUrl.replace('127.0.0.1', '0.0.0.0');
    const session = await startServer(['--endpoint', endpoint, '--remote-model', 'm', '--allow-http'], { home: scratch() });
    try {
      const host = new URL(endpoint).host;
      const text = refusal(await call(session, 'loupe_ask_image', { image: 'test/fixtures/images/chart.png', question: 'What is the highest bar?' }));
      assert.ok(text.includes(`Images would go to ${host}`) && text.includes(`LOUPE_SEND_IMAGES_TO=${host}`), text);
      assert.equal(server.requests.length, 0);
    } finally {
      await session.close();
      await server.close();
    }
  });
});

describe('loupe mcp on the wire', () => {
  const scratch = suiteScratchDir('loupe-mcp-wire-');

  it('writes nothing but JSON-RPC to stdout, even when the engine thread prints, and ends when stdin closes', async () => {
    copyFileSync(imageFixture('screenshot-256x384.png'), join(scratch(), 'shot.png'));
    const noise = join(repoRoot, 'test', 'support', 'engineThreadNoise.cjs');
    const child = spawn(process.execPath, ['--require', noise, cli, 'mcp', '--model', tinyModelDir, '--preset', 'fast'], { cwd: scratch(), env: cleanEnv(scratch()) });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const lines = () => stdout.split('\n').slice(0, -1);
    const answered = new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
        if (lines().some((line) => /"id":2\b/.test(line))) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const send = (message: object) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
    send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    send({ method: 'notifications/initialized' });
    send({ id: 2, method: 'tools/call', params: { name: 'loupe_describe_image', arguments: { image: 'shot.png' } } });
    await answered;
    child.stdin.end();
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /engine thread: console\.log\nengine thread: process\.stdout\.write/);

    assert.ok(stdout.endsWith('\n'), stdout);
    const messages = lines().map((line) => JSON.parse(line) as { jsonrpc: string; id?: number; result?: CallToolResult });
    assert.ok(messages.every((message) => message.jsonrpc === '2.0'), stdout);
    const result = messages.find((message) => message.id === 2)!.result!;
    assert.ok(!result.isError, JSON.stringify(result));
    assert.match(textOf(result), /\[Loupe looked at .*shot\.png, PNG 256×384 · the model on this machine/);
  });
});
