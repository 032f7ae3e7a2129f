/**
 * Asking about a region and comparing two images, through the real model code (transformers.js,
 * onnxruntime-node, the tiny LFM2-VL) and through the real engine client: the crop is what the
 * model sees and its prompt says where it came from, OCR boxes of a crop are in the full image's
 * pixels, two images are two labelled image blocks in order, each encoded by its own
 * vision-encoder call, and the pixel diff's boxes are in the prompt.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InterruptableStoppingCriteria } from '@huggingface/transformers';
import sharp from 'sharp';
import { EngineClient, type GenerateInput } from '../../src/client/engineClient';
import { decodeImage } from '../../src/imaging/images';
import { buildMessages } from '../../src/prompts/taskPrompts';
import { VisionLanguageModel } from '../../src/engine/vlm/visionLanguageModel';
import { EngineError } from '../../src/protocol/engineError';
import { resolveOptions } from '../../src/protocol/options';
import { enginePath, imageFixture, tinyModelDir } from '../support/paths';

const scratch = mkdtempSync(join(tmpdir(), 'loupe-compare-'));

/** A "screen" with a button at x and two words on separate lines, drawn by sharp (librsvg). */
async function screen(name: string, buttonX: number, width = 400, height = 300): Promise<string> {
  const path = join(scratch, name);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#ffffff"/>` +
    `<rect x="${buttonX}" y="40" width="80" height="30" fill="#1a73e8"/>` +
    '<text x="20" y="250" font-family="sans-serif" font-size="22" fill="#000">Saved</text>' +
    '<text x="250" y="160" font-family="sans-serif" font-size="22" fill="#000">Cancel</text></svg>';
  await sharp(Buffer.from(svg)).png().toFile(path);
  return path;
}

describe('two images in the model', () => {
  let vlm: VisionLanguageModel;
  before(async () => {
    vlm = await VisionLanguageModel.load(tinyModelDir, { vision_encoder: 'fp32', embed_tokens: 'fp32', decoder_model_merged: 'fp32' });
  });
  after(() => vlm?.dispose());

  it('encodes each image with its own vision-encoder call, in prompt order, and answers', async () => {
    // One single-tile and one tiled image: the pair whose joint encoding the real export gets wrong.
    const small = await decodeImage({ kind: 'path', path: imageFixture('screenshot-256x384.png') });
    const large = await decodeImage({ kind: 'path', path: await screen('large.png', 40, 1600, 1200) });
    const options = resolveOptions('balanced', { maxNewTokens: 6 });
    const session = (vlm as unknown as { model: { sessions: Record<string, { run(feed: Record<string, { dims: number[] }>): Promise<Record<string, { dims: number[]; data: Float32Array }>> }> } }).model.sessions.vision_encoder!;
    const run = session.run.bind(session);
    const calls: { tiles: number; features: Float32Array }[] = [];
    session.run = async (feed) => {
      const output = await run(feed);
      calls.push({ tiles: feed.spatial_shapes!.dims[0]!, features: output.image_features!.data.slice() });
      return output;
    };
    try {
      const encodeAlone = async (image: typeof small) => {
        calls.length = 0;
        await vlm.generate(buildMessages({ task: 'question', question: 'What is this?', history: [] }), [image], options, () => undefined, new InterruptableStoppingCriteria(), false);
        assert.equal(calls.length, 1);
        return calls[0]!;
      };
      const [alone1, alone2] = [await encodeAlone(small), await encodeAlone(large)];
      assert.ok(alone1.tiles === 1 && alone2.tiles > 1, `tiles ${alone1.tiles}, ${alone2.tiles}`);

      calls.length = 0;
      const messages = buildMessages({ task: 'question', question: 'What changed?', history: [], comparison: { changes: [] } });
      const answer = await vlm.generate(messages, [small, large], options, () => undefined, new InterruptableStoppingCriteria(), false);
      assert.deepEqual(calls.map((call) => call.tiles), [alone1.tiles, alone2.tiles], 'one call per image, first image first');
      assert.deepEqual(calls[0]!.features, alone1.features);
      assert.deepEqual(calls[1]!.features, alone2.features);
      assert.equal(answer.tiles, alone1.tiles + alone2.tiles);
      assert.equal(answer.generatedTokens, 6);
    } finally {
      session.run = run;
    }
  });
});

describe('regions and comparisons through the engine', () => {
  const engine = new EngineClient({ enginePath, isolation: 'thread' });
  after(() => engine.dispose());
  let before1: string, after1: string;
  before(async () => {
    [before1, after1] = [await screen('before.png', 40), await screen('after.png', 240)];
  });

  const request = (overrides: Partial<GenerateInput>): GenerateInput => ({
    modelDir: tinyModelDir,
    task: 'question',
    question: 'What changed?',
    image: { kind: 'path', path: before1 },
    options: resolveOptions('fast', { maxNewTokens: 8 }),
    ...overrides,
  });

  it('finds the moved button with the pixel diff, and nothing between an image and itself', async () => {
    const diff = await engine.diff({ kind: 'path', path: before1 }, { kind: 'path', path: after1 }).result;
    assert.deepEqual([...diff.boxes].sort((p, q) => p.x - q.x), [
      { x: 40, y: 40, width: 80, height: 30 },
      { x: 240, y: 40, width: 80, height: 30 },
    ]);
    const same = await engine.diff({ kind: 'path', path: before1 }, { kind: 'path', path: before1 }).result;
    assert.equal(same.changedPixels, 0);
    assert.deepEqual(same.boxes, []);
  });

  it('puts two labelled image blocks in order, with the changed regions, as the chat template renders them', async () => {
    const changes = [{ x: 40, y: 40, width: 80, height: 30 }, { x: 240, y: 40, width: 80, height: 30 }];
    const single = await engine.prompt(request({})).result;
    const pair = await engine.prompt(request({ secondImage: { kind: 'path', path: after1 }, changes })).result;
    const block = `<|image_start|><image>x${single.imageTokens}<|image_end|>`;
    assert.equal(
      pair.text,
      '<|startoftext|><|im_start|>user\n' +
        `Image 1:\n${block}\nImage 2:\n${block}\n` +
        'Image 1 is the before and Image 2 the after. A pixel comparison found changes in these regions (x, y, width, height in pixels of Image 1):\n' +
        '- 40,40,80,30\n- 240,40,80,30\n\n' +
        'What changed?<|im_end|>\n<|im_start|>assistant\n',
    );
    assert.equal(pair.imageTokens, 2 * single.imageTokens, 'both images count against the context');
    assert.equal(pair.tiles, 2 * single.tiles);
    assert.deepEqual(pair.secondImage, { width: 400, height: 300 });

    const answer = await engine.generate(request({ secondImage: { kind: 'path', path: after1 }, changes })).result;
    assert.equal(answer.stats.imageTokens, pair.imageTokens);
    assert.equal(answer.stats.generatedTokens, 8);
  });

  it('shows the model the crop at its own size and says where it lies in the image', async () => {
    const preview = await engine.prompt(request({ region: { x: 200, y: 20, width: 160, height: 80 } })).result;
    assert.deepEqual(preview.image, { width: 160, height: 80 });
    assert.deepEqual(preview.region, { x: 200, y: 20, width: 160, height: 80, of: { width: 400, height: 300 } });
    assert.match(preview.text, /<\|image_end\|>This image is the region 200,20,160,80 \(x, y, width, height in pixels\) of a 400x300 image/);
    // A region past the right edge is cut at it.
    const cut = await engine.prompt(request({ region: { x: 300, y: 0, width: 500, height: 100 } })).result;
    assert.deepEqual(cut.region, { x: 300, y: 0, width: 100, height: 100, of: { width: 400, height: 300 } });
  });

  it('refuses a region outside the image with the image size', async () => {
    const error = await engine.generate(request({ region: { x: 400, y: 0, width: 10, height: 10 } })).result.then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof EngineError && error.code === 'BAD_INPUT', String(error));
    assert.match(error.message, /outside the 400x300 image/);
  });

  it('takes a region in the pixels the user sees: a photo stored sideways with an EXIF rotation', async () => {
    // Stored turned a quarter counter-clockwise, with EXIF orientation 6 (turn clockwise to show): shown, it is before1.
    const sideways = join(scratch, 'sideways.jpg');
    await sharp(before1).rotate(-90).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(sideways);
    assert.deepEqual(await sharp(sideways).metadata().then(({ width, height, orientation }) => ({ width, height, orientation })), { width: 300, height: 400, orientation: 6 });
    const region = { x: 230, y: 110, width: 170, height: 90 };
    const preview = await engine.prompt(request({ image: { kind: 'path', path: sideways }, region })).result;
    assert.deepEqual(preview.region, { ...region, of: { width: 400, height: 300 } });
    const cropped = await engine.ocr({ kind: 'path', path: sideways }, region).result;
    assert.deepEqual(cropped.lines.map((line) => line.text), ['Cancel'], 'the word in that part of the shown image');
    assert.ok(cropped.lines[0]!.box.every(([x, y]) => x >= 230 && x <= 400 && y >= 110 && y <= 200), JSON.stringify(cropped.lines[0]!.box));
  });

  it('reads only the region with OCR and gives its boxes in the full image', async () => {
    const region = { x: 230, y: 110, width: 170, height: 90 };
    const full = await engine.ocr({ kind: 'path', path: before1 }).result;
    const cropped = await engine.ocr({ kind: 'path', path: before1 }, region).result;
    assert.deepEqual(cropped.lines.map((line) => line.text), ['Cancel']);
    assert.deepEqual([cropped.width, cropped.height], [400, 300]);
    const whole = full.lines.find((line) => line.text === 'Cancel');
    assert.ok(whole, JSON.stringify(full.lines.map((line) => line.text)));
    cropped.lines[0]!.box.forEach(([x, y], corner) => {
      const [fx, fy] = whole.box[corner]!;
      assert.ok(Math.abs(x - fx) <= 3 && Math.abs(y - fy) <= 3, `corner ${corner}: ${x},${y} vs ${fx},${fy}`);
      assert.ok(x >= region.x - 1 && y >= region.y - 1, `corner ${corner} inside the region`);
    });
  });
});
