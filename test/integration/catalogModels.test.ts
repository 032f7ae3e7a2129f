/**
 * Every model in the catalog installs and answers from the files its repository really has: a
 * loopback hub serves each manifest's repository at its revision with the names, flags and
 * external-data files its evidence shows (stand-in bytes: tiny generated models, see
 * scripts/gen_hub_fixtures.py), and the real CLI downloads each offered precision and answers a
 * question from it with the model card's sampling. A precision the manifest marks unproven is
 * refused before any request reaches the hub.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listManifests } from '../../src/catalog/catalog';
import type { ModelManifest } from '../../src/catalog/manifest';
import { hubFixturesDir } from '../support/generatedFixtures';
import { repoFromFolder, startLoopbackHub, type LoopbackHub } from '../support/loopbackHub';
import { imageFixture, repoRoot } from '../support/paths';

const BRANCH_COMMIT = 'b4a4c4000000000000000000000000000000000b';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function loupe(args: string[], home: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli.js'), ...args], { env: { ...process.env, LOUPE_HOME: home, HF_TOKEN: '' } });
    const run: Run = { code: null, stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk));
    child.on('close', (code) => resolve({ ...run, code }));
  });
}

async function serve(manifest: ModelManifest, hubDir: string): Promise<LoopbackHub> {
  const commit = manifest.hub.revisionKind === 'commit' ? manifest.hub.revision : BRANCH_COMMIT;
  const branches = manifest.hub.revisionKind === 'branch' ? [manifest.hub.revision] : [];
  return startLoopbackHub({ repos: [await repoFromFolder(join(hubDir, manifest.id), manifest.hub.repo, commit, { branches })] });
}

describe('every model in the catalog', () => {
  let hubDir = '';
  before(() => {
    hubDir = hubFixturesDir();
  });

  for (const manifest of listManifests()) {
    describe(`${manifest.id} (${manifest.hub.repo})`, () => {
      let hub: LoopbackHub | undefined;
      after(() => hub?.close());

      for (const precision of manifest.precisions) {
        if (precision.unproven) {
          it(`refuses ${precision.id} before any request, saying why`, async () => {
            hub ??= manifest.evidence.files.length > 0 ? await serve(manifest, hubDir) : await startLoopbackHub({ repos: [] });
            const before = hub.requests.length;
            const home = await mkdtemp(join(tmpdir(), 'loupe-catalog-'));
            const run = await loupe(['models', 'download', manifest.id, '--precision', precision.id, '--accept-license', '--endpoint', hub.endpoint], home);
            assert.equal(run.code, 2, run.stderr);
            assert.ok(run.stderr.includes(precision.unproven!), run.stderr);
            assert.match(run.stderr, /Nothing was downloaded/);
            assert.equal(hub.requests.length, before, 'no request reached the hub');
          });
          continue;
        }
        it(`installs ${precision.id} from the repository's files and answers with the model card's sampling`, async () => {
          hub ??= await serve(manifest, hubDir);
          const home = await mkdtemp(join(tmpdir(), 'loupe-catalog-'));
          const download = await loupe(['models', 'download', manifest.id, '--precision', precision.id, '--accept-license', '--endpoint', hub.endpoint], home);
          assert.equal(download.code, 0, download.stderr);
          assert.match(download.stdout, new RegExp(`Installed ${manifest.label.replace(/\./g, '\\.')} \\(${precision.id}\\)`));
          // Nothing the listing lacks was asked for.
          assert.ok(hub.requests.every((request) => request.status !== 404), hub.requests.filter((r) => r.status === 404).map((r) => r.url).join('\n'));

          const ask = await loupe(
            ['ask', imageFixture('screenshot-256x384.png'), 'What is on the screen?', '--model', manifest.id, '--preset', 'fast', '--max-new-tokens', '4', '--no-ocr', '--json'],
            home,
          );
          assert.equal(ask.code, 0, ask.stderr);
          const answer = JSON.parse(ask.stdout) as { text: string; stats: { generatedTokens: number; sampling: unknown } };
          assert.ok(answer.stats.generatedTokens > 0);
          const { temperature, minP, repetitionPenalty } = manifest.sampling;
          assert.deepEqual(answer.stats.sampling, { temperature, minP, repetitionPenalty, seed: 0 });
        });
      }
    });
  }
});
