import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AltTextCache } from '../../../src/altText/altCache';
import { AltTextProposer, GenerationKeepsFailing, type ProposalRequest } from '../../../src/altText/altProposals';
import { scanDocument } from '../../../src/altText/scanDocument';
import { docsFixture } from './fixtureTree';

const IMAGES = ['architecture', 'badge', 'chart', 'diagram', 'logo', 'my chart', 'photo', 'screenshot'];
const text = IMAGES.map((name) => `![](<images/${name}.png>)\n`).join('\n');
const path = join(docsFixture, 'many.md');
const requests: ProposalRequest[] = scanDocument(text, path).map((finding) => ({
  finding,
  document: { path, text, rootDir: docsFixture },
  prompt: { maxLength: 125, language: 'en' },
}));
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withCache(run: (cache: AltTextCache) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'loupe-propose-many-'));
  try {
    await run(await AltTextCache.load(join(dir, 'cache.json')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('AltTextProposer.proposeMany', () => {
  it('keeps as many model calls in flight as the generator takes, and answers in order', () =>
    withCache(async (cache) => {
      let inFlight = 0;
      let most = 0;
      const proposer = new AltTextProposer(
        {
          concurrency: 3,
          model: async () => ({ model: 'm', precision: 'p' }),
          generate: async ({ imagePath }) => {
            most = Math.max(most, ++inFlight);
            // Later images answer sooner: the outcomes must still come back in the order asked.
            await tick(20 + 3 * (IMAGES.length - IMAGES.findIndex((name) => imagePath.endsWith(`${name}.png`))));
            inFlight--;
            return `A picture called ${imagePath.split('/').pop()!.replace('.png', '')}.`;
          },
        },
        cache,
      );
      assert.equal(requests.length, IMAGES.length);
      const outcomes = await Promise.all(proposer.proposeMany(requests));
      assert.equal(most, 3);
      assert.deepEqual(
        outcomes.map((outcome) => ('proposal' in outcome ? outcome.proposal.alt : outcome.skip)),
        IMAGES.map((name) => `A picture called ${name}.`),
      );
    }));

  it('is one at a time without a concurrency, and starts nothing new once generation keeps failing', () =>
    withCache(async (cache) => {
      let inFlight = 0;
      let most = 0;
      let calls = 0;
      const proposer = new AltTextProposer(
        {
          model: async () => ({ model: 'm', precision: 'p' }),
          generate: async () => {
            calls++;
            most = Math.max(most, ++inFlight);
            await tick(2);
            inFlight--;
            throw new Error('no model');
          },
        },
        cache,
      );
      const outcomes = proposer.proposeMany(requests);
      const settled = await Promise.allSettled(outcomes);
      assert.equal(most, 1);
      assert.equal(calls, 3, 'the third failure in a row stops the run');
      assert.ok(settled.slice(2).every((result) => result.status === 'rejected' && result.reason instanceof GenerationKeepsFailing));
    }));
});
