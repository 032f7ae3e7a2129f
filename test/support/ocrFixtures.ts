/** The committed OCR evaluation set (scripts/gen_ocr_fixtures.mjs), decoded to RGB. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { OcrImage } from '../../src/engine/ocr/ocrEngine';
import { repoRoot } from './paths';

export const ocrFixtureDir = join(repoRoot, 'test', 'fixtures', 'ocr');

export interface OcrFixture {
  name: string;
  kind: 'ui' | 'terminal' | 'chart' | 'diagram';
  scale: number;
  truth: string;
  image: OcrImage;
}

export async function loadOcrFixtures(dir = ocrFixtureDir): Promise<OcrFixture[]> {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Omit<OcrFixture, 'truth' | 'image'>[];
  return Promise.all(
    manifest.map(async (entry) => ({
      ...entry,
      truth: readFileSync(join(dir, `${entry.name}.txt`), 'utf8'),
      image: await decodeRgb(join(dir, `${entry.name}.png`)),
    })),
  );
}

export async function decodeRgb(path: string): Promise<OcrImage> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}
