import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { fixPaths } from '../../../src/altText/cliFix';
import { buildMessages } from '../../../src/prompts/taskPrompts';
import { EngineRequestSchema } from '../../../src/protocol/engine';
import { resolveOptions } from '../../../src/protocol/options';
import { testGenerator } from './fixtureTree';

// `--max-length` / `loupe.altText.maxLength` used to only truncate the answer: the model was
// always asked for 125 characters. The length now travels request → engine → prompt.
describe('the longest alt text asked for reaches the prompt', () => {
  it('an engine request carries altTextMaxLength into the alt-text prompt', () => {
    const request = EngineRequestSchema.parse({
      type: 'generate',
      id: 'j1',
      modelDir: '/m',
      task: 'alt-text',
      image: { kind: 'path', path: '/x.png' },
      altTextMaxLength: 80,
      options: resolveOptions('fast', {}, 'alt-text'),
    });
    assert.equal(request.type, 'generate');
    const prompt = JSON.stringify(buildMessages({ ...request, ocrText: undefined }));
    assert.match(prompt, /at most 80 characters/);
    assert.doesNotMatch(prompt, /125/);
  });

  it('fix asks the generator for --max-length and the language, and caches per length', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'loupe-max-length-'));
    try {
      await sharp({ create: { width: 4, height: 4, channels: 3, background: '#3366aa' } }).png().toFile(join(dir, 'a.png'));
      await writeFile(join(dir, 'a.md'), '---\nlang: de\n---\n\n![](a.png)\n');
      const asked: Array<[number, string | undefined]> = [];
      const generator = testGenerator(async ({ maxLength, language }) => {
        asked.push([maxLength, language]);
        return 'Ein blaues Quadrat auf weißem Grund, das als Platzhalter dient';
      });
      const options = { cwd: dir, cachePath: 'cache.json', dryRun: true };
      const short = await fixPaths(['a.md'], generator, { ...options, maxLength: 30 });
      await fixPaths(['a.md'], generator, { ...options, maxLength: 30 });
      await fixPaths(['a.md'], generator, { ...options, maxLength: 125 });
      assert.deepEqual(asked, [
        [30, 'de'],
        [125, 'de'],
      ]);
      assert.match(short.diff, /^\+!\[Ein blaues Quadrat auf weißem\.\]\(a\.png\)$/m);
      assert.equal(Object.keys(JSON.parse(await readFile(join(dir, 'cache.json'), 'utf8')).entries).length, 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
