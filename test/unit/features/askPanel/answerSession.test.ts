/**
 * The panel's answers without VS Code, against an engine object that behaves like EngineClient
 * (streams tokens as they are made, stops when cancelled with the text streamed so far, fails with
 * EngineError codes). The real engine behind the panel is covered by test/e2e/askPanel.test.ts.
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { AnswerSession, NO_PIXEL_CHANGED, type AskRequest } from '../../../../src/features/askPanel/answerSession';
import { type GenerateHandlers, type GenerateInput, type GenerateResult, type Job } from '../../../../src/client/engineClient';
import { LocalVisionModel, type VisionModel } from '../../../../src/client/visionModel';
import { RemoteError } from '../../../../src/remote/remoteErrors';
import { EngineError } from '../../../../src/protocol/engineError';
import type { ImageInfo, ImageInput, OcrResult, PixelDiff, StopReason } from '../../../../src/protocol/engine';
import type { FindResult } from '../../../../src/protocol/findBoxes';
import type { HostToWebview } from '../../../../src/protocol/webview';

const STATS = { promptTokens: 40, imageTokens: 64, tiles: 1, timeToFirstTokenMs: 5, tokensPerSecond: 100, totalMs: 50 };

/**
 * Makes one word per `tokenMs`, counting characters as tokens; stops at the request's token limit
 * ('limit'), at Stop ('stopped', with what was streamed, as EngineClient does) or at its last word
 * ('end'), unless `stopReason` says what the engine reports instead.
 */
class WordEngine {
  readonly inputs: GenerateInput[] = [];
  failure?: EngineError;
  stopReason?: StopReason;
  /** Find's boxes as the engine on this machine reads them; unset, the answer comes unread (as a server's). */
  find?: FindResult;
  /** What `diff` finds between two images. */
  pixelDiff: PixelDiff = { width: 200, height: 100, alignment: 'same-size', changedPixels: 40, boxes: [{ x: 10, y: 20, width: 8, height: 5 }] };
  readonly diffed: [ImageInput, ImageInput][] = [];

  constructor(
    private readonly words: string[],
    private readonly tokenMs = 2,
  ) {}

  generate(input: GenerateInput, handlers: GenerateHandlers): Job<GenerateResult> {
    this.inputs.push(input);
    let cancelled = false;
    const result = (async () => {
      handlers.onProgress?.('encoding-image');
      await delay(this.tokenMs);
      if (this.failure) throw this.failure;
      let text = '';
      let reason: StopReason = 'end';
      for (const [index, word] of this.words.entries()) {
        if (cancelled) break;
        if (text.length >= input.options.maxNewTokens) {
          reason = 'limit';
          break;
        }
        text += word;
        handlers.onToken?.(word, index + 1);
        await delay(this.tokenMs);
      }
      return { text, stopReason: cancelled ? 'stopped' : (this.stopReason ?? reason), stats: { ...STATS, generatedTokens: text.length }, ...(this.find && { find: this.find }) };
    })();
    return { id: input.id ?? `job-${this.inputs.length}`, result, cancel: () => (cancelled = true) };
  }

  diff(first: ImageInput, second: ImageInput): Job<PixelDiff> {
    this.diffed.push([first, second]);
    return { id: 'diff', result: delay(this.tokenMs).then(() => this.pixelDiff), cancel: () => undefined };
  }

  inspect(): Job<ImageInfo> {
    return { id: 'inspect', result: Promise.resolve({ source: 'bytes', format: 'png', width: 200, height: 100 }), cancel: () => undefined };
  }

  ocr(image: ImageInput): Job<OcrResult> {
    const result = delay(this.tokenMs).then(() => ({ width: 16, height: 12, text: `text of ${image.kind === 'bytes' ? image.name : image.path}`, lines: [], ms: 3 }));
    return { id: 'ocr', result, cancel: () => undefined };
  }
}

const image = { name: 'shot.png', bytes: new Uint8Array([1, 2, 3]) };
const request = (task: AskRequest['task'], question = ''): AskRequest => ({ task, question, preset: 'fast', history: [] });

/** Tokens unbatched (each posted before the next is made), unless a test says otherwise. */
function session(engine: WordEngine, modelDir: string | null = '/models/tiny', model?: VisionModel, tokenBatchMs = 0) {
  return new AnswerSession({
    tokenBatchMs,
    engine,
    visionModel: async () => {
      if (model) return model;
      if (!modelDir) throw new EngineError('MODEL_MISSING', 'No model is installed.');
      return new LocalVisionModel(engine, modelDir);
    },
    settings: () => ({ ocrGrounding: true, altTextLanguage: 'de', altTextMaxLength: 125, sampling: {} }),
  });
}

function recorder() {
  const posted: HostToWebview[] = [];
  return { posted, post: (message: HostToWebview) => void posted.push(message) };
}

describe('answer session', () => {
  it('streams an answer: started, progress, tokens, done with the final text', async () => {
    const engine = new WordEngine(['A ', 'login ', 'form.']);
    const { posted, post } = recorder();
    await session(engine).ask(request('question', 'What is it?'), { image, documentContext: 'Login page' }, post);
    assert.deepEqual(posted.map((message) => message.type), ['started', 'progress', 'token', 'token', 'token', 'done']);
    const done = posted.at(-1) as Extract<HostToWebview, { type: 'done' }>;
    assert.equal(done.text, 'A login form.');
    assert.equal(done.cancelled, false);
    assert.ok(posted.every((message) => !('requestId' in message) || message.requestId === done.requestId));
    const [input] = engine.inputs;
    assert.equal(input!.question, 'What is it?');
    assert.equal(input!.documentContext, 'Login page');
    assert.equal(input!.language, undefined, 'a language is given for alt text only');
    assert.deepEqual(input!.image, { kind: 'bytes', name: 'shot.png', bytes: image.bytes });
  });

  it('batches tokens: at most one message per interval, their text in order, the last one\'s index', async () => {
    const words = Array.from({ length: 300 }, (_, i) => `${i % 10} `);
    const { posted, post } = recorder();
    const started = performance.now();
    await session(new WordEngine(words, 1), '/models/tiny', undefined, 32).ask({ ...request('question', 'Long?'), preset: 'detailed' }, { image }, post);
    const elapsed = performance.now() - started;
    const tokens = posted.filter((message) => message.type === 'token');
    assert.ok(tokens.length <= elapsed / 32 + 2, `${tokens.length} token messages in ${Math.round(elapsed)} ms`);
    assert.ok(tokens.length >= 2, 'still streamed, not held to the end');
    assert.equal(tokens.map((message) => message.text).join(''), words.join(''));
    assert.equal(tokens.at(-1)!.index, 300);
    assert.ok(tokens.every((message, i) => i === 0 || message.index > tokens[i - 1]!.index), 'indexes only grow');
    assert.equal(posted.at(-1)?.type, 'done', 'the last batch goes before the end');
  });

  it('a long batch goes at once, whatever the interval', async () => {
    const times = new Map<string, number>();
    await session(new WordEngine(['a'.repeat(70_000)], 100), '/models/tiny', undefined, 60_000).ask(request('question', 'Long?'), { image }, (message) => {
      times.set(message.type, performance.now());
    });
    assert.ok(times.get('done')! - times.get('token')! >= 80, 'the token went out before the engine finished');
  });

  it('a request with a seed of its own (Retry) samples with it; without one, the settings decide', async () => {
    const engine = new WordEngine(['x']);
    await session(engine).ask({ ...request('question', 'Again?'), seed: 1234 }, { image }, recorder().post);
    await session(engine).ask(request('question', 'Again?'), { image }, recorder().post);
    assert.deepEqual(engine.inputs.map((sent) => sent.options.sampling?.seed), [1234, undefined]);
  });

  it('alt text is asked in the configured language', async () => {
    const engine = new WordEngine(['Ein Formular.']);
    await session(engine).ask(request('alt-text'), { image }, recorder().post);
    assert.equal(engine.inputs[0]!.language, 'de');
  });

  it('an alt-text answer is shown exactly as "Use as alt text" writes it', async () => {
    const { posted, post } = recorder();
    await session(new WordEngine(['Alt text: ', 'A login form with two fields. ', 'It also has a button.'])).ask(request('alt-text'), { image }, post);
    assert.equal((posted.at(-1) as Extract<HostToWebview, { type: 'done' }>).text, 'A login form with two fields.');
  });

  it('says the answer was cut when the engine reports a token limit, whatever the count', async () => {
    const long = recorder();
    await session(new WordEngine(['A login form ', 'with an email field, ', 'a password field ', 'and a green button, ', 'then a link.'])).ask(request('alt-text'), { image }, long.post);
    const cut = long.posted.at(-1) as Extract<HostToWebview, { type: 'done' }>;
    assert.equal(cut.cutAtTokens, 71, 'the alt-text limit (64 tokens) was passed with the fourth word');
    const short = recorder();
    await session(new WordEngine(['A form.'])).ask(request('alt-text'), { image }, short.post);
    assert.equal((short.posted.at(-1) as Extract<HostToWebview, { type: 'done' }>).cutAtTokens, undefined);
    // The context ran out before the preset's limit: the engine says 'limit' at 7 tokens.
    const contextEnd = new WordEngine(['A form.']);
    contextEnd.stopReason = 'limit';
    const context = recorder();
    await session(contextEnd).ask(request('question', 'What is it?'), { image }, context.post);
    assert.equal((context.posted.at(-1) as Extract<HostToWebview, { type: 'done' }>).cutAtTokens, 7);
    // Ended by the model exactly at the limit: not cut.
    const exact = new WordEngine(['x'.repeat(64)]);
    exact.stopReason = 'end';
    const exactly = recorder();
    await session(exact).ask(request('alt-text'), { image }, exactly.post);
    assert.equal((exactly.posted.at(-1) as Extract<HostToWebview, { type: 'done' }>).cutAtTokens, undefined);
  });

  it("asks for alt text within the user's length setting, and holds the answer to it", async () => {
    const engine = new WordEngine(['A login form with a very long description that goes on and on. ']);
    const { posted, post } = recorder();
    const answers = new AnswerSession({
      engine,
      visionModel: async () => new LocalVisionModel(engine, '/m'),
      settings: () => ({ ocrGrounding: true, altTextLanguage: 'en', altTextMaxLength: 40, sampling: { seed: 7 } }),
    });
    await answers.ask(request('alt-text'), { image }, post);
    const [input] = engine.inputs;
    assert.equal(input!.altTextMaxLength, 40, 'the prompt asks for the length the answer is held to');
    assert.deepEqual(input!.options.sampling, { seed: 7 });
    const done = posted.at(-1) as Extract<HostToWebview, { type: 'done' }>;
    assert.ok(done.text.length <= 40, done.text);
    assert.equal(input!.id, done.requestId, "the host's request id is the engine job's");
  });

  it('one answer at a time', async () => {
    const answers = session(new WordEngine(['a', 'b', 'c']));
    const first = recorder();
    const second = recorder();
    const running = answers.ask(request('question', 'one'), { image }, first.post);
    await answers.ask(request('question', 'two'), { image }, second.post);
    assert.deepEqual(second.posted, [{ type: 'failed', message: 'Loupe is still answering the previous question. Stop it first, or wait.', actions: [] }]);
    await running;
    assert.equal(first.posted.at(-1)?.type, 'done');
  });

  it('needs an image', async () => {
    const { posted, post } = recorder();
    await session(new WordEngine(['x'])).ask(request('alt-text'), {}, post);
    assert.match((posted[0] as { message: string }).message, /^Add an image first/);
  });

  it('Stop ends the answer with what was streamed, marked cancelled', async () => {
    const answers = session(new WordEngine(['one ', 'two ', 'three ', 'four ', 'five '], 5));
    const { posted, post } = recorder();
    const running = answers.ask(request('describe-diagram'), { image }, (message) => {
      post(message);
      if (message.type === 'token' && message.index === 2) answers.stop();
    });
    await running;
    const done = posted.at(-1) as Extract<HostToWebview, { type: 'done' }>;
    assert.equal(done.cancelled, true);
    assert.equal(done.text, 'one two ');
    assert.equal(answers.activeRequestId, undefined);
  });

  it('Stop before the engine starts ends it as cancelled without starting a job', async () => {
    const engine = new WordEngine(['x']);
    const answers = session(engine);
    const { posted, post } = recorder();
    const running = answers.ask(request('question', 'q'), { image }, post);
    answers.stop();
    await running;
    assert.equal(engine.inputs.length, 0);
    assert.deepEqual(posted.at(-1), { type: 'failed', requestId: (posted[0] as { requestId: string }).requestId, code: 'CANCELLED', message: 'Stopped before it started.', actions: [] });
  });

  it('a snapshot says where the running answer stands, for a webview reloaded mid-stream', async () => {
    let now = 1_000;
    const words = new WordEngine(['a', 'b', 'c', 'd'], 5);
    const answers = new AnswerSession({ engine: words, visionModel: async () => new LocalVisionModel(words, '/m'), settings: () => ({ ocrGrounding: false, altTextLanguage: 'en', altTextMaxLength: 125, sampling: {} }), now: () => now, tokenBatchMs: 0 });
    assert.equal(answers.snapshot(), undefined);
    let snapshot: HostToWebview | undefined;
    await answers.ask(request('question', 'q'), { image }, (message) => {
      now += 100;
      if (message.type === 'token' && message.index === 2) snapshot = answers.snapshot();
    });
    assert.deepEqual(snapshot && { ...snapshot, requestId: 'r' }, { type: 'snapshot', requestId: 'r', task: 'question', text: 'ab', tokens: 2, elapsedMs: 400, firstTokenMs: 200 });
  });

  it('a missing model fails with the actions that fix it', async () => {
    const { posted, post } = recorder();
    await session(new WordEngine(['x']), null).ask(request('alt-text'), { image }, post);
    const failed = posted.at(-1) as Extract<HostToWebview, { type: 'failed' }>;
    assert.equal(failed.code, 'MODEL_MISSING');
    assert.deepEqual(failed.actions?.map((action) => action.command), ['loupe.downloadModel', 'loupe.selectModel']);
  });

  it('a model server\'s refusal of the key offers to set it, in the server\'s words', async () => {
    const refusing: VisionModel = {
      description: 'm at gpu:8000',
      concurrency: 4,
      identity: async () => ({ model: 'm@gpu:8000', precision: 'server' }),
      ask: () => ({ id: 'r', result: Promise.reject(new RemoteError('auth', 'gpu:8000 refused the request (401).')), cancel: () => undefined }),
    };
    const { posted, post } = recorder();
    await session(new WordEngine(['x']), null, refusing).ask(request('question', 'q'), { image }, post);
    const failed = posted.at(-1) as Extract<HostToWebview, { type: 'failed' }>;
    assert.equal(failed.message, 'gpu:8000 refused the request (401).');
    assert.deepEqual(failed.actions?.map((action) => action.command), ['loupe.setModelServerKey', 'loupe.selectModel']);
  });

  it('engine failures keep their code and get actions; other errors their message', async () => {
    const engine = new WordEngine(['x']);
    engine.failure = new EngineError('INSUFFICIENT_MEMORY', 'Needs 3 GB, 1 GB free.');
    const { posted, post } = recorder();
    await session(engine).ask(request('question', 'q'), { image }, post);
    const failed = posted.at(-1) as Extract<HostToWebview, { type: 'failed' }>;
    assert.equal(failed.code, 'INSUFFICIENT_MEMORY');
    assert.deepEqual(failed.actions?.map((action) => action.command), ['loupe.selectPreset', 'loupe.selectModel']);

    // A task the model cannot do (Find with SmolVLM) is fixed by another model, not another image.
    engine.failure = new EngineError('UNSUPPORTED', 'SmolVLM models document no way to answer with boxes.');
    const unsupported = recorder();
    await session(engine).ask(request('find', 'Save'), { image }, unsupported.post);
    assert.deepEqual((unsupported.posted.at(-1) as Extract<HostToWebview, { type: 'failed' }>).actions?.map((action) => action.command), ['loupe.selectModel']);

    engine.failure = new TypeError('boom') as unknown as EngineError;
    const other = recorder();
    await session(engine).ask(request('question', 'q'), { image }, other.post);
    assert.deepEqual(other.posted.at(-1), { type: 'failed', requestId: (other.posted[0] as { requestId: string }).requestId, message: 'boom', actions: [] });
  });

  it('"Extract text" runs OCR, not the model', async () => {
    const engine = new WordEngine(['x']);
    const { posted, post } = recorder();
    await session(engine).ask(request('extract-text'), { image }, post);
    assert.deepEqual(posted.map((message) => message.type), ['started', 'progress', 'ocrDone']);
    assert.equal((posted.at(-1) as Extract<HostToWebview, { type: 'ocrDone' }>).result.text, 'text of shot.png');
    assert.equal(engine.inputs.length, 0);
  });

  it('Find: the engine\'s boxes go to the webview with a numbered list of them as the answer, labels escaped', async () => {
    const engine = new WordEngine(['[', '...', ']']);
    engine.find = {
      boxes: [
        { label: 'Save button', x: 10, y: 20, width: 30, height: 12 },
        { label: '*bold* [link](http://example.com)', x: 50, y: 60, width: 5, height: 5 },
      ],
      image: { width: 640, height: 480 },
    };
    const { posted, post } = recorder();
    await session(engine).ask(request('find', 'the Save button'), { image }, post);
    const done = posted.at(-1) as Extract<HostToWebview, { type: 'done' }>;
    assert.deepEqual(done.find, engine.find);
    assert.equal(engine.inputs[0]!.question, 'the Save button');
    const lines = done.text.split('\n');
    assert.equal(lines[0], '**2 found**');
    assert.match(done.text, /of the 640×480 image/);
    assert.ok(lines.includes('1. Save button: 10, 20, 30 × 12'), done.text);
    assert.ok(lines.includes('2. \\*bold\\* \\[link\\](http://example.com): 50, 60, 5 × 5'), done.text);
  });

  it('Find answered unread (a model server): the strict reader turns it into boxes in the size this machine decodes', async () => {
    const engine = new WordEngine(['[{"label": "Save", ', '"bbox": [0.1, 0.2, 0.3, 0.4]}]']);
    const { posted, post } = recorder();
    await session(engine).ask(request('find', 'Save'), { image }, post);
    const done = posted.at(-1) as Extract<HostToWebview, { type: 'done' }>;
    assert.deepEqual(done.find, { boxes: [{ label: 'Save', x: 20, y: 20, width: 40, height: 20 }], image: { width: 200, height: 100 } });
    assert.match(done.text, /^\*\*1 found\*\*/);
  });

  it('Find: an answer that is not a list is "0 found", why, and the model\'s words in a block they cannot close', async () => {
    const engine = new WordEngine(['I see ```a button```.']);
    const { posted, post } = recorder();
    await session(engine).ask(request('find', 'Save'), { image }, post);
    const done = posted.at(-1) as Extract<HostToWebview, { type: 'done' }>;
    assert.deepEqual(done.find?.boxes, []);
    assert.equal(done.find?.problem, 'not-a-list');
    assert.match(done.text, /^\*\*0 found\*\*\n\nNo boxes: the answer is not a list of boxes\. The model answered:\n\n````\nI see ```a button```\.\n````$/);
  });

  it('compares two images: the pixel diff goes to the webview first, then both images and the changed regions to the model', async () => {
    const engine = new WordEngine(['The ', 'button ', 'moved.']);
    const second = { id: '7f1c2a7e-3b4d-4c5e-8f90-123456789abc', name: 'after.png', bytes: new Uint8Array([4, 5, 6]) };
    const { posted, post } = recorder();
    await session(engine).ask({ ...request('question', 'What changed?'), secondImageId: second.id }, { image, secondImage: second }, post);
    assert.deepEqual(posted.map((message) => message.type).filter((type) => type !== 'token' && type !== 'progress'), ['started', 'changes', 'done']);
    assert.deepEqual((posted.find((message) => message.type === 'changes') as Extract<HostToWebview, { type: 'changes' }>).diff, engine.pixelDiff);
    assert.deepEqual(engine.diffed, [[{ kind: 'bytes', name: 'shot.png', bytes: image.bytes }, { kind: 'bytes', name: 'after.png', bytes: second.bytes }]]);
    const [input] = engine.inputs;
    assert.deepEqual(input!.secondImage, { kind: 'bytes', name: 'after.png', bytes: second.bytes });
    assert.deepEqual(input!.changes, engine.pixelDiff.boxes);
    assert.equal((posted.at(-1) as Extract<HostToWebview, { type: 'done' }>).text, 'The button moved.');
  });

  it('two images with the same pixels: "no pixel changed" is the answer, and the model is not asked', async () => {
    const engine = new WordEngine(['never']);
    engine.pixelDiff = { width: 200, height: 100, alignment: 'same-size', changedPixels: 0, boxes: [] };
    const second = { id: '7f1c2a7e-3b4d-4c5e-8f90-123456789abc', name: 'same.png', bytes: new Uint8Array([1, 2, 3]) };
    const { posted, post } = recorder();
    await session(engine).ask({ ...request('question', 'What changed?'), secondImageId: second.id }, { image, secondImage: second }, post);
    const changes = posted.at(-1) as Extract<HostToWebview, { type: 'changes' }>;
    assert.equal(changes.type, 'changes');
    assert.equal(changes.answer, NO_PIXEL_CHANGED);
    assert.equal(engine.inputs.length, 0);
  });

  it('a comparison with a second image the host no longer holds fails, saying to attach it again', async () => {
    const engine = new WordEngine(['x']);
    const { posted, post } = recorder();
    await session(engine).ask({ ...request('question', 'What changed?'), secondImageId: '7f1c2a7e-3b4d-4c5e-8f90-123456789abc' }, { image }, post);
    const failed = posted.at(-1) as Extract<HostToWebview, { type: 'failed' }>;
    assert.match(failed.message, /no longer attached/);
    assert.deepEqual(failed.actions, [], 'no "choose another image": that would replace the first');
    assert.equal(engine.inputs.length, 0);
  });
});
