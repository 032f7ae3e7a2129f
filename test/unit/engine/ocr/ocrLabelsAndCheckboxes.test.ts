/**
 * The real PP-OCR models on two small renderings (sharp's SVG text, DejaVu Sans as in the
 * evaluation set): label-value pairs keep the space after the colon, and a checkbox next to its
 * label is not read as "|" (docs/ocr.md, "Differences from PaddleOCR's pipeline").
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { OcrEngine, type OcrImage } from '../../../../src/engine/ocr/ocrEngine';

async function render(width: number, height: number, background: string, body: string): Promise<OcrImage> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${background}"/>${body}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

const text = (x: number, y: number, size: number, colour: string, content: string) =>
  `<text x="${x}" y="${y}" font-family="DejaVu Sans" font-size="${size}" fill="${colour}">${content}</text>`;

describe('OCR of labels and checkboxes', () => {
  let engine: OcrEngine;
  before(async () => {
    engine = await OcrEngine.load();
  });
  after(async () => {
    await engine?.dispose();
  });

  it('keeps the space after the colon of label-value pairs', async () => {
    const pairs = ['Status: Passed', 'Time: 3s', 'Branch: main', 'Owner: ada'];
    for (const size of [13, 14]) {
      const image = await render(200, 36 * pairs.length, '#ffffff', pairs.map((pair, i) => text(8, 23 + 36 * i, size, '#1f2328', pair)).join(''));
      assert.deepEqual((await engine.recognize(image)).lines.map((l) => l.text), pairs, `${size} px`);
    }
  });

  it('reads a checkbox beside its label as nothing, not "|"', async () => {
    // Dark theme, a filled checkbox 4 px before its label: the grown detection box reaches into it.
    for (const [size, box] of [[12, 12], [14, 14]]) {
      const checkbox = `<rect x="8" y="${18 - box / 2}" width="${box}" height="${box}" rx="2" fill="#0e639c"/>`;
      const image = await render(200, 36, '#1e1e1e', checkbox + text(8 + box + 4, 18 + size * 0.36, size, '#cccccc', 'Show minimap'));
      assert.equal((await engine.recognize(image)).text, 'Show minimap', `${size} px text, ${box} px checkbox`);
    }
  });
});
