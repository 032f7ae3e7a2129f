/**
 * The `loupe` CLI answering from an OpenAI-compatible server on loopback: the built bundle, real
 * HTTP, real files. The local engine never starts for these commands.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageFixture, repoRoot } from '../support/paths';
import { suiteScratchDir } from '../support/scratchDir';
import { startOpenAiServer, type OpenAiServer } from '../support/openAiServer';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const KEY = 'sk-live-remote-cli-test-key-42';

describe('loupe with --endpoint', () => {
  let server: OpenAiServer;
  const scratch = suiteScratchDir('loupe-remote-cli-');
  before(async () => (server = await startOpenAiServer({ models: ['qwen2.5-vl-7b'] })));
  after(() => server.close());

  function loupe(args: string[], env: NodeJS.ProcessEnv = {}, input = ''): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...args], {
        cwd: scratch(),
        env: { ...process.env, LOUPE_HOME: scratch(), LOUPE_ENDPOINT: '', LOUPE_REMOTE_MODEL: '', LOUPE_API_KEY: '', LOUPE_SEND_IMAGES_TO: '', ...env },
      });
      const run: Run = { code: null, stdout: '', stderr: '' };
      child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk));
      child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk));
      child.stdin.end(input);
      child.on('close', (code) => resolve({ ...run, code }));
    });
  }

  it('ask streams the server\'s answer and reports its timings', async () => {
    server.reply = () => ({ kind: 'stream', tokens: ['A ', 'sign-in ', 'form.'] });
    const run = await loupe(['ask', imageFixture('screenshot-256x384.png'), 'What is this?', '--endpoint', server.baseUrl, '--remote-model', 'qwen2.5-vl-7b']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'A sign-in form.\n');
    assert.match(run.stderr, /time to first token \d+ ms · 3 tokens/);
    assert.doesNotMatch(run.stderr, /loading the model/);
    const body = server.requests.at(-1)!.body;
    assert.equal(body.model, 'qwen2.5-vl-7b');
    assert.match(body.messages[0].content[1].text, /What is this\?/);
  });

  it('takes the endpoint, model and key from the environment, and never prints the key', async () => {
    server.reply = (request) =>
      request.headers.authorization === `Bearer ${KEY}`
        ? { kind: 'stream', tokens: ['Fine.'] }
        : { kind: 'status', status: 401, body: JSON.stringify({ error: { message: `Invalid key ${String(request.headers.authorization).slice(7)}` } }) };
    const ok = await loupe(['describe', imageFixture('diagram.png'), '--json'], { LOUPE_ENDPOINT: server.baseUrl, LOUPE_REMOTE_MODEL: 'qwen2.5-vl-7b', LOUPE_API_KEY: KEY });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).text, 'Fine.');
    const wrong = `${KEY}-wrong`;
    const refused = await loupe(['describe', imageFixture('diagram.png')], { LOUPE_ENDPOINT: server.baseUrl, LOUPE_REMOTE_MODEL: 'qwen2.5-vl-7b', LOUPE_API_KEY: wrong });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /refused the request \(401\).*Invalid key \[key\].*Set LOUPE_API_KEY/);
    assert.ok(!refused.stderr.includes(wrong) && !refused.stdout.includes(wrong));
  });

  it('names the served models when the model is wrong (exit 2)', async () => {
    server.reply = () => ({ kind: 'status', status: 404, body: '{"error":{"message":"The model `qwen-typo` does not exist."}}' });
    const run = await loupe(['alt', imageFixture('chart.png'), '--endpoint', server.baseUrl, '--remote-model', 'qwen-typo']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /does not serve the model "qwen-typo".*It serves: qwen2.5-vl-7b\..*--remote-model/);
  });

  it('refuses plain http to another host, and asks before sending images there', async () => {
    const remote = server.baseUrl.replace('127.0.0.1', '0.0.0.0');
    const host = new URL(remote).host;
    const before = server.requests.length;
    const http = await loupe(['ask', imageFixture('grey.png'), 'Colour?', '--endpoint', remote, '--remote-model', 'm']);
    assert.equal(http.code, 2);
    assert.match(http.stderr, /plain http/);
    const noConsent = await loupe(['ask', imageFixture('grey.png'), 'Colour?', '--endpoint', remote, '--remote-model', 'm', '--allow-http']);
    assert.equal(noConsent.code, 2);
    assert.match(noConsent.stderr, new RegExp(`Images would go to ${host}.*LOUPE_SEND_IMAGES_TO=${host}`));
    assert.equal(server.requests.length, before, 'nothing may be sent before consent');
    server.reply = () => ({ kind: 'stream', tokens: ['Grey.'] });
    const allowed = await loupe(['ask', imageFixture('grey.png'), 'Colour?', '--endpoint', remote, '--remote-model', 'm', '--allow-http'], { LOUPE_SEND_IMAGES_TO: host });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stdout, 'Grey.\n');
  });

  it('chat keeps the conversation across questions', async () => {
    let turn = 0;
    server.reply = () => ({ kind: 'stream', tokens: [`Answer ${++turn}.`] });
    const run = await loupe(['chat', imageFixture('screenshot-256x384.png'), '--json', '--endpoint', server.baseUrl, '--remote-model', 'm'], {}, 'What is it?\nAnd the button?\n');
    assert.equal(run.code, 0, run.stderr);
    const answers = run.stdout.trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(answers.map((a) => a.text), ['Answer 1.', 'Answer 2.']);
    const second = server.requests.at(-1)!.body.messages;
    assert.deepEqual(second.map((m: { role: string }) => m.role), ['user', 'assistant', 'user']);
    assert.equal(second[1].content, 'Answer 1.');
  });

  it('alt-text fix writes the server\'s alt text into the document', async () => {
    server.reply = () => ({ kind: 'stream', tokens: ['Bar chart of ', 'monthly sales.'] });
    copyFileSync(imageFixture('chart.png'), join(scratch(), 'chart.png'));
    writeFileSync(join(scratch(), 'doc.md'), '# Sales\n\n![](chart.png)\n');
    const run = await loupe(['alt-text', 'fix', 'doc.md', '--endpoint', server.baseUrl, '--remote-model', 'qwen2.5-vl-7b']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(readFileSync(join(scratch(), 'doc.md'), 'utf8'), '# Sales\n\n![Bar chart of monthly sales.](chart.png)\n');
    const cache = readFileSync(join(scratch(), 'alt-text-cache.json'), 'utf8');
    assert.match(cache, /qwen2.5-vl-7b@127.0.0.1:\d+/, 'the cache key names the server model');
    assert.ok(!existsSync(join(scratch(), 'models')), 'no local model was looked for');
  });
});
