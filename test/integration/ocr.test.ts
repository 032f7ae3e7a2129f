/**
 * Real PaddleOCR (PP-OCRv4 ONNX models on onnxruntime-node) on the committed evaluation set
 * (test/fixtures/ocr, made by scripts/gen_ocr_fixtures.mjs). Prints a per-image table; the
 * bounds below are the targets from issue 6 and, for charts and diagrams, what was measured
 * plus a margin (docs/ocr.md).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OcrEngine, type OcrImage } from '../../src/engine/ocr/ocrEngine';
import type { OcrResult } from '../../src/protocol/engine';
import { loadOcrFixtures, type OcrFixture } from '../support/ocrFixtures';
import { characterErrorRate, normaliseWhitespace, wordRecall } from '../support/ocrMetrics';

interface Measured {
  fixture: OcrFixture;
  result: OcrResult;
  cer: number;
  recall: number;
}

const percent = (v: number) => `${(100 * v).toFixed(1)}%`;

function wordsIn(text: string): number {
  return normaliseWhitespace(text).split(' ').filter(Boolean).length;
}

function turned180(image: OcrImage): OcrImage {
  const pixels = image.width * image.height;
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < pixels; i++) data.set(image.data.subarray((pixels - 1 - i) * 3, (pixels - i) * 3), i * 3);
  return { ...image, data };
}

describe('OCR on the evaluation set', () => {
  let engine: OcrEngine;
  const measured = new Map<string, Measured>();

  before(async () => {
    engine = await OcrEngine.load();
    for (const fixture of await loadOcrFixtures()) {
      const result = await engine.recognize(fixture.image);
      measured.set(fixture.name, {
        fixture,
        result,
        cer: characterErrorRate(result.text, fixture.truth),
        recall: wordRecall(result.text, fixture.truth),
      });
    }
    const rows = [...measured.values()].map(
      ({ fixture, result, cer, recall }) =>
        `| ${fixture.name.padEnd(22)} | ${fixture.kind.padEnd(8)} | ${`${result.width}x${result.height}`.padEnd(9)} | ${percent(cer).padStart(6)} | ${percent(recall).padStart(6)} | ${result.ms.toFixed(0).padStart(6)} |`,
    );
    console.log(['| image                  | kind     | size      |    CER | recall |     ms |', '|---|---|---|---:|---:|---:|', ...rows].join('\n'));
  });

  after(async () => {
    await engine?.dispose();
  });

  const select = (kind: OcrFixture['kind'], scale?: number) =>
    [...measured.values()].filter((m) => m.fixture.kind === kind && (scale === undefined || m.fixture.scale === scale));

  it('reads clean 1x UI text: CER <= 3% per image, word recall >= 97% over the set', () => {
    const ui = select('ui', 1);
    assert.ok(ui.length >= 3, 'the set has 1x UI screenshots');
    for (const { fixture, cer, recall } of ui) {
      assert.ok(cer <= 0.03, `${fixture.name}: CER ${percent(cer)}`);
      assert.ok(recall >= 0.95, `${fixture.name}: word recall ${percent(recall)}`);
    }
    const words = ui.reduce((n, m) => n + wordsIn(m.fixture.truth), 0);
    const found = ui.reduce((n, m) => n + m.recall * wordsIn(m.fixture.truth), 0);
    assert.ok(found / words >= 0.97, `word recall over the 1x UI set ${percent(found / words)}`);
  });

  it('reads small light-on-dark terminal text: CER <= 5%', () => {
    const terminal = select('terminal');
    assert.ok(terminal.length >= 2);
    for (const { fixture, cer } of terminal) assert.ok(cer <= 0.05, `${fixture.name}: CER ${percent(cer)}`);
  });

  it('reads 2x renderings at least as well as 1x', () => {
    const doubled = [...measured.values()].filter((m) => m.fixture.scale === 2 && m.fixture.kind !== 'chart' && m.fixture.kind !== 'diagram');
    assert.ok(doubled.length >= 3);
    for (const { fixture, cer, recall } of doubled) {
      const single = measured.get(fixture.name.replace('@2x', '@1x'))!;
      // One character of slack: a single flipped character is noise, not a trend.
      const oneChar = 1 / normaliseWhitespace(fixture.truth).length;
      assert.ok(cer <= Math.max(single.cer + oneChar, 0.03), `${fixture.name}: CER ${percent(cer)} vs 1x ${percent(single.cer)}`);
      assert.ok(recall >= 0.97, `${fixture.name}: word recall ${percent(recall)}`);
    }
  });

  it('finds every word in @2x charts and diagrams that it finds at 1x (large text is looked at half size too)', () => {
    const doubled = [...select('chart', 2), ...select('diagram', 2)];
    assert.ok(doubled.length >= 3);
    for (const { fixture, recall } of doubled) {
      const single = measured.get(fixture.name.replace('@2x', '@1x'))!;
      assert.ok(recall >= single.recall, `${fixture.name}: word recall ${percent(recall)} vs 1x ${percent(single.recall)}`);
    }
  });

  it('finds the words of charts and diagrams (their reading order is ambiguous, so CER is loose)', () => {
    const graphics = [...select('chart'), ...select('diagram')];
    assert.ok(graphics.length >= 4);
    for (const { fixture, cer, recall } of graphics) {
      assert.ok(recall >= 0.85, `${fixture.name}: word recall ${percent(recall)}`);
      assert.ok(cer <= 0.4, `${fixture.name}: CER ${percent(cer)}`);
    }
  });

  it('returns well-formed results: boxes inside the image, ordered blocks, text made of the lines', () => {
    for (const { fixture, result } of measured.values()) {
      assert.equal(result.width, fixture.image.width);
      assert.equal(result.height, fixture.image.height);
      let block = 0;
      for (const line of result.lines) {
        for (const [x, y] of line.box) {
          assert.ok(x >= 0 && x <= result.width && y >= 0 && y <= result.height, `${fixture.name}: ${line.text} at ${x},${y}`);
        }
        assert.ok(line.confidence >= 0.5 && line.confidence <= 1, `${fixture.name}: confidence ${line.confidence}`);
        assert.ok(line.block >= block, `${fixture.name}: blocks in order`);
        block = line.block;
        assert.ok(line.text.trim().length > 0);
      }
      const rebuilt = result.lines.map((l, i) => (i > 0 && l.block !== result.lines[i - 1].block ? '\n\n' : i > 0 ? '\n' : '') + l.text).join('');
      assert.equal(result.text, rebuilt, `${fixture.name}: text is the lines in order`);
    }
  });

  it('reads an upside-down screenshot the right way up', async () => {
    const { fixture } = measured.get('settings-dialog@1x')!;
    const result = await engine.recognize(turned180(fixture.image));
    const cer = characterErrorRate(result.text, fixture.truth);
    assert.ok(cer <= 0.03, `turned settings dialog: CER ${percent(cer)}\n${result.text}`);
  });

  it('finds nothing, without failing, in blank, flat, tiny and extreme images', async () => {
    const flat = (width: number, height: number, value: number): OcrImage => ({
      data: new Uint8Array(width * height * 3).fill(value),
      width,
      height,
    });
    for (const image of [flat(0, 0, 0), flat(1, 1, 255), flat(7, 3, 0), flat(640, 480, 255), flat(640, 480, 0), flat(4000, 12, 200), flat(12, 3000, 30)]) {
      const result = await engine.recognize(image);
      assert.deepEqual(result.lines, [], `${image.width}x${image.height}`);
      assert.equal(result.text, '');
      assert.equal(result.width, image.width);
    }
  });

  it('reads a tiny image holding a single word', async () => {
    const { fixture, result: page } = measured.get('signup-form@1x')!;
    const label = page.lines.find((l) => l.text === 'Sign up');
    assert.ok(label, 'the full form reads "Sign up"');
    // The label's box and a few pixels around it, on its own (about 60x25 px).
    const xs = label.box.map((p) => p[0]), ys = label.box.map((p) => p[1]);
    const left = Math.floor(Math.min(...xs)) - 4, top = Math.floor(Math.min(...ys)) - 4;
    const w = Math.ceil(Math.max(...xs)) + 4 - left, h = Math.ceil(Math.max(...ys)) + 4 - top;
    const { width } = fixture.image;
    const data = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) data.set(fixture.image.data.subarray(((top + y) * width + left) * 3, ((top + y) * width + left + w) * 3), y * w * 3);
    assert.ok(w < 80 && h < 40, `${w}x${h}`);
    const result = await engine.recognize({ data, width: w, height: h });
    assert.equal(result.text, 'Sign up');
  });

  it('stops when cancelled, with a CANCELLED error', async () => {
    const { fixture } = measured.get('dashboard-1920@1x')!;
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(engine.recognize(fixture.image, aborted.signal), { code: 'CANCELLED' });

    const midway = new AbortController();
    const startedAt = performance.now();
    const running = engine.recognize(fixture.image, midway.signal);
    setTimeout(() => midway.abort(), 300);
    await assert.rejects(running, { code: 'CANCELLED' });
    const full = measured.get('dashboard-1920@1x')!.result.ms;
    assert.ok(performance.now() - startedAt < full, 'cancelled before a full run would have ended');
  });

  it('rejects pixels that do not match the size, naming both', async () => {
    await assert.rejects(engine.recognize({ data: new Uint8Array(10), width: 4, height: 4 }), {
      code: 'BAD_INPUT',
      message: /4x4 image has 48 bytes, got 10/,
    });
  });

  it('says which model file is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'loupe-ocr-'));
    try {
      await assert.rejects(OcrEngine.load(empty), { message: new RegExp(`${empty}/ch_PP-OCRv4_det_infer\\.onnx is missing`) });
    } finally {
      rmSync(empty, { recursive: true });
    }
  });
});
