import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_MODEL_ID, getManifest, listManifests, findsBoxes, recommendedSampling } from '../../../src/catalog/catalog';
import { isModelError } from '../../../src/modelFolder/modelErrors';
import { downloadSize, findPrecision, loadManifestFile, parseManifest } from '../../../src/catalog/manifest';
import { repoRoot } from '../../support/paths';

const modelsDir = join(repoRoot, 'models');

describe('model manifests', () => {
  it('every models/*.json validates and is offered by the catalog', async () => {
    const files = (await readdir(modelsDir)).filter((f) => f.endsWith('.json')).sort();
    const fromDisk = await Promise.all(files.map((f) => loadManifestFile(join(modelsDir, f))));
    assert.deepEqual(fromDisk.map((m) => `${m.id}.json`).sort(), files, 'file names are ids');
    assert.deepEqual(listManifests().map((m) => m.id).sort(), fromDisk.map((m) => m.id).sort());
  });

  it('offers the five models with the pinned default', () => {
    assert.deepEqual(listManifests().map((m) => m.id), ['lfm2.5-vl-450m', 'lfm2.5-vl-1.6b', 'lfm2-vl-450m', 'lfm2-vl-1.6b', 'smolvlm-256m']);
    const lfm = getManifest(DEFAULT_MODEL_ID);
    assert.equal(lfm.hub.repo, 'LiquidAI/LFM2.5-VL-450M-ONNX');
    assert.deepEqual({ ...lfm.hub }, { repo: 'LiquidAI/LFM2.5-VL-450M-ONNX', revision: '95c283d4497a56477a83177079fa6b7121abb1b1', revisionKind: 'commit' });
    assert.deepEqual(findPrecision(lfm).graphs, { vision_encoder: 'fp16', embed_tokens: 'fp16', decoder_model_merged: 'q4' });
  });

  it('offers a precision only where public evidence shows its files, and says why not elsewhere', () => {
    const offered = Object.fromEntries(listManifests().map((m) => [m.id, m.precisions.filter((p) => !p.unproven).map((p) => p.id)]));
    assert.deepEqual(offered, {
      'lfm2.5-vl-450m': ['q4', 'q4-small', 'fp16', 'fp32'],
      'lfm2.5-vl-1.6b': ['q4', 'q4-small', 'fp16'],
      'lfm2-vl-450m': ['q4'],
      'lfm2-vl-1.6b': [],
      'smolvlm-256m': ['q4', 'fp16'],
    });
    for (const manifest of listManifests()) {
      assert.ok(manifest.evidence.sources.every((source) => source.length > 40), manifest.id);
      for (const precision of manifest.precisions.filter((p) => p.unproven)) assert.match(precision.unproven!, /No public (source|listing)/, `${manifest.id} ${precision.id}`);
    }
    // The layouts the evidence shows: Liquid AI's own names for the 1.6B, inline fp32 embeddings for the 450M.
    const files = (id: string) => getManifest(id).evidence.files.map((f) => f.path);
    assert.ok(files('lfm2.5-vl-1.6b').includes('onnx/embed_images_fp16.onnx') && files('lfm2.5-vl-1.6b').includes('onnx/decoder_q4.onnx_data'));
    assert.ok(files('lfm2.5-vl-450m').includes('onnx/embed_tokens.onnx') && !files('lfm2.5-vl-450m').includes('onnx/embed_tokens.onnx_data'));
    assert.equal(getManifest('smolvlm-256m').hub.revision, '7e3e67edbbed1bf9888184d9df282b700a323964');
    assert.ok(!files('smolvlm-256m').some((f) => f.includes('.onnx_data')));
  });

  it('gives exact download sizes where the evidence has every file, estimates elsewhere', () => {
    const size = (id: string, precision: string) => downloadSize(getManifest(id), findPrecision(getManifest(id), precision));
    assert.deepEqual(size('lfm2.5-vl-450m', 'q4'), { bytes: 808_759_577, exact: true });
    assert.deepEqual(size('lfm2.5-vl-450m', 'q4-small'), { bytes: 680_294_011, exact: true });
    assert.deepEqual(size('lfm2.5-vl-1.6b', 'q4'), { bytes: 2_343_810_070, exact: true });
    assert.equal(size('lfm2.5-vl-450m', 'fp32').exact, false);
    assert.equal(size('smolvlm-256m', 'q4').exact, false, 'its configuration files have no sizes in the evidence');
  });

  it("carries each family's recommended sampling from its model card, the same across the family", () => {
    for (const manifest of listManifests()) {
      const family = listManifests().filter((m) => m.architecture === manifest.architecture);
      for (const other of family) {
        const { source: _a, ...mine } = manifest.sampling;
        const { source: _b, ...theirs } = other.sampling;
        assert.deepEqual(mine, theirs, `${manifest.id} and ${other.id}`);
      }
    }
    assert.deepEqual(recommendedSampling('lfm2-vl'), { temperature: 0.1, minP: 0.15, repetitionPenalty: 1.05 });
    assert.deepEqual(recommendedSampling('smolvlm'), { temperature: 0, minP: 0, repetitionPenalty: 1 });
  });

  it("says which families document a box answer for Find, the same across the family; SmolVLM documents none", () => {
    for (const manifest of listManifests()) {
      for (const other of listManifests().filter((m) => m.architecture === manifest.architecture)) {
        assert.equal(manifest.grounding?.format, other.grounding?.format, `${manifest.id} and ${other.id}`);
      }
    }
    assert.equal(findsBoxes('lfm2-vl'), true);
    assert.equal(findsBoxes('smolvlm'), false);
  });

  it('marks LFM-licensed models as needing acceptance and SmolVLM as Apache-2.0', () => {
    for (const manifest of listManifests()) {
      if (manifest.architecture === 'lfm2-vl') {
        assert.equal(manifest.license.name, 'LFM Open License v1.0', manifest.id);
        assert.equal(manifest.license.requiresAcceptance, true, manifest.id);
      }
    }
    const smol = getManifest('smolvlm-256m');
    assert.equal(smol.license.name, 'Apache-2.0');
    assert.equal(smol.license.requiresAcceptance, false);
    assert.equal(smol.architecture, 'smolvlm');
  });

  it('names a revision "branch" wherever it is not a commit', () => {
    for (const manifest of listManifests()) {
      assert.equal(manifest.hub.revisionKind === 'commit', /^[0-9a-f]{40}$/.test(manifest.hub.revision), manifest.id);
    }
  });

  it('rejects a broken manifest with the file and field named', () => {
    const good = structuredClone(getManifest('smolvlm-256m')) as unknown as Record<string, unknown> & { precisions: Array<{ graphs: Record<string, string> }> };
    const cases: Array<[string, (m: typeof good) => void, RegExp]> = [
      ['short commit', (m) => ((m.hub as { revision: string }).revision = 'acc0547'), /hub\.revision: a commit revision must be 40 lowercase hex digits/],
      ['dtype the engine cannot load', (m) => ((m.precisions[0] as { graphs: Record<string, string> }).graphs.decoder_model_merged = 'q2'), /precisions\.0\.graphs\.decoder_model_merged/],
      ['a file transformers.js needs left out', (m) => (m.sharedFiles = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json']), /sharedFiles: transformers\.js needs "processor_config\.json" for smolvlm/],
      ['unknown default', (m) => (m.defaultPrecision = 'q2'), /defaultPrecision: "q2" is not one of the precisions/],
      ['escaping path', (m) => (m.sharedFiles = ['../secrets.json']), /sharedFiles\.0: must be a relative path inside the repository/],
      ['no license url', (m) => ((m.license as { url: string }).url = 'not a url'), /license\.url/],
      ['a precision no evidence shows, not marked unproven', (m) => ((m.evidence as { files: { path: string }[] }).files = []), /precisions\.0: no evidence shows/],
      ['no size where the evidence has none', (m) => delete (m.precisions[0] as { approxDownloadBytes?: number }).approxDownloadBytes, /precisions\.0\.approxDownloadBytes: needed/],
    ];
    for (const [name, mutate, message] of cases) {
      const broken = structuredClone(good);
      mutate(broken);
      assert.throws(
        () => parseManifest(broken, 'models/broken.json'),
        (error: unknown) => isModelError(error, 'MANIFEST_INVALID') && /models\/broken\.json is invalid/.test(error.message) && message.test(error.message),
        name,
      );
    }
  });

  it('explains an unknown precision', () => {
    assert.throws(() => findPrecision(getManifest('smolvlm-256m'), 'q1'), /has no precision "q1" \(choose one of: q4, fp16\)/);
  });
});
