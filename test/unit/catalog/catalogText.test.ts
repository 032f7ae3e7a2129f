/**
 * package.json and the walkthrough cannot import the model catalog, so their copies of it (the
 * `loupe.model.id` description with the catalog's models, the "Get a model" step's sizes and licenses) are
 * checked here against models/*.json. LOUPE_WRITE_CATALOG_TEXT=1 rewrites the walkthrough table.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DEFAULT_MODEL_ID, listManifests } from '../../../src/catalog/catalog';
import { evidenceMarkdown, getModelStepDescription, modelIdSettingDescription, modelsTableMarkdown } from '../../../src/catalog/catalogText';

interface Manifest {
  contributes: {
    configuration: { properties: Record<string, { default?: unknown; enum?: string[]; markdownDescription?: string }> };
    walkthroughs: { steps: { id: string; description: string; media: { markdown?: string } }[] }[];
  };
}
const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as Manifest;
const TABLE = 'media/walkthrough/get-model.md';
const DOC = 'docs/models.md';
const EVIDENCE_START = '<!-- evidence:start -->';
const EVIDENCE_END = '<!-- evidence:end -->';

describe('model catalog in package.json and the walkthrough', () => {
  const manifests = listManifests();

  it('loupe.model.id is text (an imported id is a value too) whose description lists exactly the catalog', () => {
    const setting = manifest.contributes.configuration.properties['loupe.model.id']!;
    assert.equal(setting.enum, undefined, 'a list would show an imported id as its first entry');
    assert.equal(setting.markdownDescription, modelIdSettingDescription(manifests));
    for (const m of manifests) assert.ok(setting.markdownDescription!.includes(`\`${m.id}\``), m.id);
    assert.equal(setting.default, DEFAULT_MODEL_ID);
  });

  it('the "Get a model" step states the sizes and licenses the manifests give', () => {
    const step = manifest.contributes.walkthroughs[0]!.steps.find((s) => s.id === 'getModel')!;
    assert.equal(step.description, getModelStepDescription(manifests));
    assert.match(step.description, /LFM2\.5-VL 450M is 809 MB under the LFM Open License v1\.0/);
    assert.match(step.description, /SmolVLM 256M, is about 211 MB under Apache-2\.0/);
    assert.equal(step.media.markdown, TABLE);
    const expected = modelsTableMarkdown(manifests);
    if (process.env.LOUPE_WRITE_CATALOG_TEXT) writeFileSync(TABLE, expected);
    assert.equal(readFileSync(TABLE, 'utf8'), expected, `${TABLE} is out of date: run LOUPE_WRITE_CATALOG_TEXT=1 node scripts/run-tests.mjs test/unit/catalog/catalogText.test.ts`);
    for (const m of manifests) assert.ok(expected.includes(m.license.name) && expected.includes(m.label), m.id);
  });

  it('the Marketplace README shows the same table', () => {
    const readme = readFileSync('README.marketplace.md', 'utf8');
    const rows = modelsTableMarkdown(manifests).split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| model'));
    assert.equal(rows.length, manifests.length);
    for (const row of rows) assert.ok(readme.includes(`${row}\n`), `README.marketplace.md lacks or differs in: ${row}`);
  });

  it('docs/models.md shows, per model and precision, the files, sizes, status and sources the manifests give', () => {
    const doc = readFileSync(DOC, 'utf8');
    const [before, rest] = doc.split(EVIDENCE_START);
    const [, after] = rest!.split(EVIDENCE_END);
    const expected = `${before}${EVIDENCE_START}\n${evidenceMarkdown(manifests)}\n${EVIDENCE_END}${after}`;
    if (process.env.LOUPE_WRITE_CATALOG_TEXT) writeFileSync(DOC, expected);
    assert.equal(doc, expected, `${DOC} is out of date: run LOUPE_WRITE_CATALOG_TEXT=1 node scripts/run-tests.mjs test/unit/catalog/catalogText.test.ts`);
    assert.match(expected, /\| q4 \(default\) \| vision: `vision_encoder_fp16\.onnx` \+ `_data`<br>embeddings: `embed_tokens_fp16\.onnx` \+ `_data`<br>decoder: `decoder_model_merged_q4\.onnx` \+ `_data` \| 808,759,577 bytes \| offered \|/);
    assert.match(expected, /\| fp16 \| vision: `embed_images_fp16\.onnx` \+ `_data`.*decoder: `decoder_fp16\.onnx` \+ `_data` \+ `_data_1`/);
    assert.match(expected, /\| q4 \(default\) \| vision: none shown.*\*\*not offered\*\*: No public listing/);
  });
});

