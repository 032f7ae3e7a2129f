/** `loupe ask|prompt|ocr` with `--region` and with two images: the built bundle, real engine, real files, exit codes. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { repoRoot, tinyModelDir } from '../support/paths';

const emptyHome = mkdtempSync(join(tmpdir(), 'loupe-home-'));
const scratch = mkdtempSync(join(tmpdir(), 'loupe-cli-compare-'));

function loupe(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...args], { encoding: 'utf8', env: { ...process.env, LOUPE_HOME: emptyHome } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

async function screen(name: string, buttonX: number): Promise<string> {
  const path = join(scratch, name);
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="100%" height="100%" fill="#ffffff"/>' +
    `<rect x="${buttonX}" y="40" width="80" height="30" fill="#1a73e8"/>` +
    '<text x="250" y="160" font-family="sans-serif" font-size="22" fill="#000">Cancel</text></svg>';
  await sharp(Buffer.from(svg)).png().toFile(path);
  return path;
}

const model = ['--model', tinyModelDir, '--preset', 'fast'];

describe('loupe with two images', () => {
  let beforePath: string, afterPath: string;
  before(async () => {
    [beforePath, afterPath] = [await screen('before.png', 40), await screen('after.png', 240)];
  });

  it('says "No pixel changed" for the same image twice without loading the model', () => {
    // A model folder that does not exist: any attempt to load it would fail the command.
    const run = loupe(['ask', beforePath, beforePath, 'What changed?', '--model', join(scratch, 'no-model-here')]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'No pixel changed.\n');
    const json = loupe(['ask', beforePath, beforePath, 'What changed?', '--json', '--model', join(scratch, 'no-model-here')]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { changed: false, diff: { width: 400, height: 300, alignment: 'same-size', changedPixels: 0, boxes: [] } });
  });

  it('answers with the changed regions in --json, in pixel coordinates', () => {
    const run = loupe(['ask', beforePath, afterPath, 'What changed?', '--json', '--max-new-tokens', '6', ...model]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { text: string; changed: boolean; diff: { boxes: unknown[] }; stats: { tiles: number; generatedTokens: number } };
    assert.equal(result.changed, true);
    assert.deepEqual(result.diff.boxes, [
      { x: 40, y: 40, width: 80, height: 30 },
      { x: 240, y: 40, width: 80, height: 30 },
    ]);
    assert.equal(typeof result.text, 'string');
    assert.equal(result.stats.generatedTokens, 6);
    assert.equal(result.stats.tiles, 2, 'one tile per image');
    assert.match(run.stderr, /2 changed regions \(x,y,w,h in pixels of the first image\): 40,40,80,30; 240,40,80,30/);
  });

  it('shows the exact two-image prompt', () => {
    const run = loupe(['prompt', beforePath, afterPath, 'What changed?', ...model]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^<\|startoftext\|><\|im_start\|>user\nImage 1:\n<\|image_start\|><image>x\d+<\|image_end\|>\nImage 2:\n<\|image_start\|><image>x\d+<\|image_end\|>\n/);
    assert.match(run.stdout, /- 40,40,80,30\n- 240,40,80,30\n\nWhat changed\?<\|im_end\|>/);
    assert.match(run.stdout, /second image 400x300/);
  });

  it('refuses a region with two images, and a third image, as usage errors', () => {
    const withRegion = loupe(['ask', beforePath, afterPath, 'What changed?', '--region', '0,0,10,10', ...model]);
    assert.equal(withRegion.code, 2);
    assert.match(withRegion.stderr, /--region applies to one image/);
    const three = loupe(['ask', beforePath, afterPath, beforePath, 'What changed?', ...model]);
    assert.equal(three.code, 2);
    assert.match(three.stderr, /too many arguments/);
  });

  it('refuses a second image with no question, instead of asking the file name as the question', () => {
    const run = loupe(['ask', beforePath, afterPath, ...model]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /after\.png is an image: to compare it with the first, put the question after it, in quotes\./);
  });
});

describe('loupe with --region', () => {
  let image: string;
  before(async () => {
    image = await screen('region.png', 40);
  });

  it('shows the region prompt and its place in the image', () => {
    const run = loupe(['prompt', image, 'What is this?', '--region', '200,20,160,80', '--json', '--no-ocr', ...model]);
    assert.equal(run.code, 0, run.stderr);
    const preview = JSON.parse(run.stdout) as { text: string; image: unknown; region: unknown };
    assert.deepEqual(preview.image, { width: 160, height: 80 });
    assert.deepEqual(preview.region, { x: 200, y: 20, width: 160, height: 80, of: { width: 400, height: 300 } });
    assert.match(preview.text, /This image is the region 200,20,160,80 \(x, y, width, height in pixels\) of a 400x300 image/);
  });

  it('refuses a region outside the image (exit 2) and a malformed one', () => {
    const outside = loupe(['ask', image, 'What is this?', '--region', '400,0,10,10', ...model]);
    assert.equal(outside.code, 2);
    assert.match(outside.stderr, /The region 400,0,10,10 lies outside the 400x300 image/);
    const malformed = loupe(['ask', image, 'What is this?', '--region', '1,2,3', ...model]);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /must be x,y,w,h in whole pixels/);
  });

  it('reads the region with OCR and prints its boxes in the whole image\'s pixels', () => {
    const run = loupe(['ocr', image, '--json', '--region', '230,110,170,90']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { text: string; box: [number, number][] });
    assert.deepEqual(lines.map((line) => line.text), ['Cancel']);
    const [[x, y]] = lines[0]!.box;
    assert.ok(x! > 240 && x! < 260 && y! > 130 && y! < 150, `top-left corner ${x},${y} in the full image`);
  });
});
