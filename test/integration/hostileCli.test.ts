/**
 * Issue 22 through the built `loupe` command and a real loopback server: what a hostile server or
 * model says reaches the terminal and documents as text only, a server that ignores max_tokens or
 * keeps the stream open is stopped, images outside the folder are never uploaded, and a broken
 * cache or a read-only document does not cost the user their work.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

/** What a terminal would act on: escape sequences, other controls, bidi overrides, invisible spaces. */
const ACTIVE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b\ufeff]/;
const HOSTILE = ['Hello\u001b]52;c;SGVsbG8=\u0007', ' \u001b]0;pwned\u0007wor', 'ld\u001b[2J\u202e', ' \u009b31mdone\u200b.'];

describe('loupe against a hostile server and hostile documents', () => {
  let server: OpenAiServer;
  const scratch = suiteScratchDir('loupe-hostile-cli-');
  before(async () => (server = await startOpenAiServer({ models: ['m'] })));
  after(() => server.close());

  function loupe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...args], {
        cwd: join(scratch(), 'work'),
        env: { ...process.env, LOUPE_HOME: join(scratch(), 'home'), LOUPE_ENDPOINT: server.baseUrl, LOUPE_REMOTE_MODEL: 'm', LOUPE_API_KEY: '', LOUPE_SEND_IMAGES_TO: '', ...env },
      });
      const run: Run = { code: null, stdout: '', stderr: '' };
      child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk));
      child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk));
      child.stdin.end();
      child.on('close', (code) => resolve({ ...run, code }));
    });
  }

  before(() => {
    mkdirSync(join(scratch(), 'work'));
    mkdirSync(join(scratch(), 'home'));
    mkdirSync(join(scratch(), 'outside'));
    copyFileSync(imageFixture('chart.png'), join(scratch(), 'work', 'chart.png'));
    copyFileSync(imageFixture('diagram.png'), join(scratch(), 'outside', 'secret.png'));
  });

  it('streamed answers, JSON and errors reach the terminal without escape sequences or bidi overrides', async () => {
    server.reply = () => ({ kind: 'stream', tokens: HOSTILE });
    const streamed = await loupe(['ask', 'chart.png', 'What is it?']);
    assert.equal(streamed.code, 0, streamed.stderr);
    assert.equal(streamed.stdout, 'Hello world done.\n');
    const json = await loupe(['ask', 'chart.png', 'What is it?', '--json']);
    assert.equal(JSON.parse(json.stdout).text, 'Hello world done.');
    assert.doesNotMatch(json.stdout, /\\u001b|\\u009b|\u202e/);
    server.reply = () => ({ kind: 'status', status: 500, body: JSON.stringify({ error: { message: '\u001b]52;c;cm0gLXJmIH4=\u0007out of \u202ememory' } }) });
    const failed = await loupe(['ask', 'chart.png', 'What is it?']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /failed \(500\)\. The server said: out of memory/);
    for (const run of [streamed, json, failed]) assert.doesNotMatch(run.stdout + run.stderr, ACTIVE);
  });

  it('stops a server that ignores --max-new-tokens, and one that leaves the stream open, reporting the limit', async () => {
    server.reply = () => ({ kind: 'endless', token: 'la ' });
    const endless = await loupe(['ask', 'chart.png', 'Sing', '--max-new-tokens', '5', '--json']);
    assert.equal(endless.code, 0, endless.stderr);
    const answer = JSON.parse(endless.stdout);
    assert.equal(answer.text, 'la '.repeat(5));
    assert.equal(answer.stopReason, 'limit');
    server.reply = () => ({ kind: 'stream', tokens: ['Done.'], keepOpen: true });
    const started = Date.now();
    const open = await loupe(['ask', 'chart.png', 'What is it?']);
    assert.equal(open.code, 0, open.stderr);
    assert.equal(open.stdout, 'Done.\n');
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
  });

  it('--max-new-tokens past the limit is a usage error (exit 2), not a schema dump', async () => {
    const run = await loupe(['ask', 'chart.png', 'x', '--max-new-tokens', '99999999']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /'--max-new-tokens <n>' argument '99999999' is invalid\. must be at most 4,096\./);
    assert.doesNotMatch(run.stderr, /Invalid generation options|too_big/);
  });

  it('alt-text fix uploads no image from outside the folder, writes clean alt text, and records no outside path', async () => {
    const work = join(scratch(), 'work');
    writeFileSync(join(work, 'doc.md'), `![](../outside/secret.png)\n\n![](file://${join(scratch(), 'outside', 'secret.png')})\n\n![](chart.png)\n`);
    server.reply = () => ({ kind: 'stream', tokens: ['\u202eBar chart\u200b of \u001b[31msales.'] });
    const before = server.requests.length;
    const run = await loupe(['alt-text', 'fix', 'doc.md']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(server.requests.length, before + 1, 'only the image inside the folder went to the server');
    assert.equal(readFileSync(join(work, 'doc.md'), 'utf8'), `![](../outside/secret.png)\n\n![](file://${join(scratch(), 'outside', 'secret.png')})\n\n![Bar chart of sales.](chart.png)\n`);
    assert.match(run.stderr, /secret\.png is outside the workspace/);
    assert.ok(!readFileSync(join(work, '.loupe', 'alt-text.json'), 'utf8').includes('secret'));
  });

  it('alt-text fix leaves a read-only document alone (exit 2, named) and warns, not fails, when the cache cannot be written', async () => {
    const work = join(scratch(), 'work');
    writeFileSync(join(work, 'locked.md'), '![](chart.png)\n');
    chmodSync(join(work, 'locked.md'), 0o444);
    writeFileSync(join(work, 'open.md'), '![](chart.png)\n');
    // The per-user folder is a file: the cache can be neither read nor written.
    const home = join(scratch(), 'home-is-a-file');
    writeFileSync(home, '');
    server.reply = () => ({ kind: 'stream', tokens: ['A bar chart of sales.'] });
    const run = await loupe(['alt-text', 'fix', 'locked.md', 'open.md'], { LOUPE_HOME: home });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /locked\.md:1:1: not fixed: the file is read-only/);
    assert.match(run.stderr, /loupe: warning: .*alt text cache was not saved/);
    assert.equal(readFileSync(join(work, 'locked.md'), 'utf8'), '![](chart.png)\n');
    assert.equal(readFileSync(join(work, 'open.md'), 'utf8'), '![A bar chart of sales.](chart.png)\n');
    assert.ok(existsSync(join(work, '.loupe', 'alt-text.json')));
  });

  it('alt-text fix asks once about an image used four times', async () => {
    const work = join(scratch(), 'work');
    copyFileSync(join(work, 'chart.png'), join(work, 'chart-copy.png'));
    writeFileSync(join(work, 'many.md'), '![](chart-copy.png)\n\n![](chart-copy.png)\n\n![](./chart-copy.png)\n\n![](chart-copy.png)\n');
    server.reply = () => ({ kind: 'stream', tokens: ['A bar chart.'] });
    const before = server.requests.length;
    const run = await loupe(['alt-text', 'fix', 'many.md', '--concurrency', '4'], { LOUPE_HOME: join(scratch(), 'fresh-home') });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(server.requests.length - before, 1);
    assert.equal(readFileSync(join(work, 'many.md'), 'utf8').match(/!\[A bar chart\.\]/g)?.length, 4);
  });
});
