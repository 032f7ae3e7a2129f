import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_MODEL_ID, getManifest, listManifests } from '../../../src/models/catalog';
import { isModelError } from '../../../src/models/errors';
import { findPrecision, isPrecisionConfirmed, loadManifestFile, parseManifest } from '../../../src/models/manifest';
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

  it('says which precisions a public listing has confirmed, and from where', () => {
    const confirmed = Object.fromEntries(listManifests().map((m) => [m.id, m.precisions.filter((p) => isPrecisionConfirmed(m, p)).map((p) => p.id)]));
    assert.deepEqual(confirmed, { 'lfm2.5-vl-450m': ['fp32'], 'lfm2.5-vl-1.6b': [], 'lfm2-vl-450m': [], 'lfm2-vl-1.6b': [], 'smolvlm-256m': [] });
    for (const manifest of listManifests()) assert.ok(manifest.confirmed.source.length > 20, manifest.id);
    // The file names issue 10 records as seen; nothing else is claimed.
    assert.ok(getManifest('smolvlm-256m').confirmed.files.includes('onnx/decoder_model_merged_q4.onnx'));
    assert.ok(!getManifest('smolvlm-256m').confirmed.files.includes('onnx/vision_encoder_q4.onnx'));
    assert.ok(!getManifest('lfm2.5-vl-450m').confirmed.files.some((f) => f.endsWith('_q4.onnx') || f.includes('.onnx_data')));
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
