import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import sharp from 'sharp';
import { EndpointRefused, EndpointSchema, endpointLocation, plainHttpProblem } from '../../../src/remote/endpoint';
import { RemoteVisionModel } from '../../../src/remote/remoteVisionModel';
import { ConsentRefused } from '../../../src/remote/serverConnection';
import { RemoteError } from '../../../src/remote/remoteErrors';
import { resolveOptions } from '../../../src/protocol/options';
import { buildMessages } from '../../../src/prompts/taskPrompts';
import { repoRoot } from '../../support/paths';
import { startOpenAiServer, type OpenAiServer } from '../../support/openAiServer';

const images = join(repoRoot, 'test', 'fixtures', 'images');
const options = resolveOptions('fast', {}, 'question');

describe('endpoint rules', () => {
  const at = (baseUrl: string, loopback: boolean) => ({ ...endpointLocation({ baseUrl }), loopback });

  it('refuses plain http to another host unless allowed for that endpoint, and keys in URLs', () => {
    assert.match(plainHttpProblem(at('http://gpu.example.com:8000/v1', false), false) ?? '', /plain http/);
    assert.equal(plainHttpProblem(at('http://gpu.example.com:8000/v1', false), true), undefined);
    assert.equal(plainHttpProblem(at('http://127.0.0.1:11434/v1', true), false), undefined);
    assert.equal(plainHttpProblem(at('https://gpu.example.com/v1', false), false), undefined);
    assert.equal(endpointLocation({ baseUrl: 'https://gpu.example.com/v1/' }).url.pathname, '/v1');
    assert.throws(() => endpointLocation({ baseUrl: 'https://user:sk-secret@gpu.example.com/v1' }), /not in the URL/);
    assert.throws(() => endpointLocation({ baseUrl: 'file:///etc/passwd' }), /not supported/);
    assert.throws(() => endpointLocation({ baseUrl: 'gpu:8000' }), EndpointRefused);
  });
});

describe('RemoteVisionModel', () => {
  let server: OpenAiServer;
  before(async () => (server = await startOpenAiServer()));
  after(() => server.close());

  it('sends the same prompt as the local engine, with the image as a PNG data URL stripped of metadata', async () => {
    server.reply = () => ({ kind: 'stream', tokens: ['A ', 'login ', 'form.'] });
    const model = new RemoteVisionModel({ endpoint: EndpointSchema.parse({ name: 't', baseUrl: server.baseUrl, model: 'lfm2-vl-test' }), consent: async () => assert.fail('loopback needs no consent') });
    const tokens: string[] = [];
    const job = model.ask(
      { task: 'explain-screenshot', question: '', history: [], image: { kind: 'path', path: join(images, 'screenshot-256x384.png') }, ocrGrounding: false, options },
      { onToken: (text) => tokens.push(text) },
    );
    const result = await job.result;
    assert.equal(result.text, 'A login form.');
    assert.deepEqual(tokens, ['A ', 'login ', 'form.']);
    assert.equal(result.stats.generatedTokens, 3);
    assert.ok(result.stats.timeToFirstTokenMs > 0 && result.stats.totalMs >= result.stats.timeToFirstTokenMs);
    const body = server.requests.at(-1)!.body;
    const expected = buildMessages({ task: 'explain-screenshot', question: '', history: [] });
    assert.equal(body.messages.length, 1);
    assert.equal(body.messages[0].content[1].text, (expected[0]!.content as { type: 'text'; text: string }[])[1]!.text);
    const url: string = body.messages[0].content[0].image_url.url;
    assert.match(url, /^data:image\/png;base64,/);
    const sent = await sharp(Buffer.from(url.split(',')[1]!, 'base64')).metadata();
    assert.deepEqual([sent.width, sent.height], [256, 384]);
  });

  it('sends photos as JPEG with EXIF orientation applied and no EXIF left', async () => {
    server.reply = () => ({ kind: 'stream', tokens: ['ok'] });
    const model = new RemoteVisionModel({ endpoint: EndpointSchema.parse({ name: 't', baseUrl: server.baseUrl, model: 'm' }), consent: async () => true });
    await model.ask({ task: 'question', question: 'What?', history: [], image: { kind: 'path', path: join(images, 'exif-rotated.jpg') }, ocrGrounding: false, options }).result;
    const url: string = server.requests.at(-1)!.body.messages[0].content[0].image_url.url;
    assert.match(url, /^data:image\/jpeg;base64,/);
    const sent = await sharp(Buffer.from(url.split(',')[1]!, 'base64')).metadata();
    const original = await sharp(join(images, 'exif-rotated.jpg')).metadata();
    assert.ok(original.exif && original.orientation && original.orientation > 4, 'the fixture carries a rotating EXIF orientation');
    assert.equal(sent.exif, undefined);
    assert.deepEqual([sent.width, sent.height], [original.height, original.width]);
  });

  it('keeps follow-ups as text turns after the image turn', async () => {
    server.reply = () => ({ kind: 'stream', tokens: ['Blue.'] });
    const model = new RemoteVisionModel({ endpoint: EndpointSchema.parse({ name: 't', baseUrl: server.baseUrl, model: 'm' }), consent: async () => true });
    const history = [
      { role: 'user' as const, text: 'What is this?', task: 'question' as const },
      { role: 'assistant' as const, text: 'A button.' },
    ];
    await model.ask({ task: 'question', question: 'Which colour?', history, image: { kind: 'path', path: join(images, 'grey.png') }, ocrGrounding: false, options }).result;
    const roles = server.requests.at(-1)!.body.messages.map((m: { role: string }) => m.role);
    assert.deepEqual(roles, ['user', 'assistant', 'user']);
    assert.equal(server.requests.at(-1)!.body.messages[2].content, 'Which colour?');
  });

  it('asks consent once for a host other than this machine, and sends nothing when refused', async () => {
    // 0.0.0.0 reaches this machine's loopback server but is not a loopback name: it stands in for a remote host.
    const port = new URL(server.url).port;
    const endpoint = EndpointSchema.parse({ name: 'gpu', baseUrl: `http://0.0.0.0:${port}/v1`, model: 'm', allowHttp: true });
    const before = server.requests.length;
    const refused = new RemoteVisionModel({ endpoint, consent: async () => false });
    const input = { task: 'question' as const, question: 'What?', history: [], image: { kind: 'path' as const, path: join(images, 'grey.png') }, ocrGrounding: false, options };
    await assert.rejects(refused.ask(input).result, (error: Error) => error instanceof ConsentRefused && /0\.0\.0\.0/.test(error.message));
    assert.equal(server.requests.length, before, 'no request may reach the server before consent');

    const asked: string[] = [];
    server.reply = () => ({ kind: 'stream', tokens: ['ok'] });
    const allowed = new RemoteVisionModel({ endpoint, consent: async (target) => (asked.push(target.host), true) });
    await allowed.ask(input).result;
    await allowed.ask(input).result;
    assert.deepEqual(asked, [`0.0.0.0:${port}`]);
    assert.equal(server.requests.length, before + 2);
  });

  it('names the models the server serves when the configured one is missing', async () => {
    server.models = ['qwen2.5-vl-7b', 'gemma-3-4b'];
    server.reply = () => ({ kind: 'status', status: 404, body: '{"error":{"message":"model not found"}}' });
    const model = new RemoteVisionModel({ endpoint: EndpointSchema.parse({ name: 't', baseUrl: server.baseUrl, model: 'qwen-typo' }), consent: async () => true });
    const input = { task: 'question' as const, question: 'What?', history: [], image: { kind: 'path' as const, path: join(images, 'grey.png') }, ocrGrounding: false, options };
    await assert.rejects(model.ask(input).result, (error: Error) => error instanceof RemoteError && /"qwen-typo".*It serves: qwen2.5-vl-7b, gemma-3-4b\./.test(error.message));
  });

  it('refuses a bad image before sending anything', async () => {
    const before = server.requests.length;
    const model = new RemoteVisionModel({ endpoint: EndpointSchema.parse({ name: 't', baseUrl: server.baseUrl, model: 'm' }), consent: async () => true });
    const input = { task: 'question' as const, question: 'What?', history: [], image: { kind: 'path' as const, path: join(images, 'truncated.png') }, ocrGrounding: false, options };
    await assert.rejects(model.ask(input).result, /truncated\.png/);
    assert.equal(server.requests.length, before);
  });
});
