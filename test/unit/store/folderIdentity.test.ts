import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { listManifests } from '../../../src/catalog/catalog';
import { identifyModelConfig, identifyModelFolder } from '../../../src/store/folderIdentity';
import { tinyModelDir } from '../../support/paths';
import { suiteScratchDir } from '../../support/scratchDir';

const manifests = listManifests();
const tinyConfig = JSON.parse(readFileSync(join(tinyModelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
const withText = (name: string) => ({ ...tinyConfig, text_config: { ...(tinyConfig.text_config as object), _name_or_path: name } });

describe("which model a folder holds, from its config.json", () => {
  const scratch = suiteScratchDir('loupe-identity-');

  it('the generated LFM2-VL folder: its LFM2-350M language model makes it LFM2-VL 450M', async () => {
    const identity = await identifyModelFolder(tinyModelDir);
    assert.equal(identity.family, 'LFM2-VL');
    assert.equal(identity.architecture, 'lfm2-vl');
    assert.equal(identity.manifest?.id, 'lfm2-vl-450m');
    assert.equal(identity.said, 'config.json says LFM2-VL with the LFM2-350M language model.');
  });

  it('the language model names the generation and the size', () => {
    assert.equal(identifyModelConfig(withText('LiquidAI/LFM2.5-1.2B-Base'), manifests).manifest?.id, 'lfm2.5-vl-1.6b');
    assert.equal(identifyModelConfig(withText('LiquidAI/LFM2-1.2B'), manifests).manifest?.id, 'lfm2-vl-1.6b');
    assert.equal(identifyModelConfig(withText('LiquidAI/LFM2.5-350M'), manifests).manifest?.id, 'lfm2.5-vl-450m');
  });

  it('a name of the vision model itself settles it, whatever the language model', () => {
    const named = identifyModelConfig({ ...withText('LiquidAI/LFM2-350M'), _name_or_path: 'LiquidAI/LFM2.5-VL-450M' }, manifests);
    assert.equal(named.manifest?.id, 'lfm2.5-vl-450m');
    assert.equal(named.said, 'config.json names LFM2.5-VL 450M.');
    assert.equal(identifyModelConfig({ model_type: 'idefics3', _name_or_path: 'HuggingFaceTB/SmolVLM-256M-Instruct' }, manifests).manifest?.id, 'smolvlm-256m');
  });

  it('a SmolLM2 language model of the listed size is SmolVLM 256M', () => {
    const identity = identifyModelConfig({ model_type: 'idefics3', text_config: { _name_or_path: 'HuggingFaceTB/SmolLM2-135M-Instruct' } }, manifests);
    assert.equal(identity.family, 'SmolVLM');
    assert.equal(identity.manifest?.id, 'smolvlm-256m');
  });

  it('without names only the family is known, and every model of it is a candidate', () => {
    const { text_config: _dropped, ...bare } = tinyConfig;
    const identity = identifyModelConfig(bare, manifests);
    assert.equal(identity.family, 'LFM2-VL');
    assert.equal(identity.manifest, undefined);
    assert.deepEqual(identity.candidates.map((m) => m.id), manifests.filter((m) => m.architecture === 'lfm2-vl').map((m) => m.id));
    assert.equal(identity.said, 'config.json says LFM2-VL, not which size.');
    assert.equal(identifyModelConfig(withText('LiquidAI/LFM2-8B'), manifests).manifest, undefined, 'a size no catalog model has');
  });

  it('the architectures class stands in for a model_type spelt another way', () => {
    const identity = identifyModelConfig({ ...withText('LiquidAI/LFM2-350M'), model_type: 'lfm2-vl' }, manifests);
    assert.equal(identity.manifest?.id, 'lfm2-vl-450m');
  });

  it('a folder with no config.json, a broken one or an architecture Loupe does not run identifies nothing', async () => {
    const empty = join(scratch(), 'empty');
    await mkdir(empty, { recursive: true });
    assert.deepEqual(await identifyModelFolder(empty), { candidates: [] });
    const broken = join(scratch(), 'broken');
    await mkdir(broken, { recursive: true });
    await writeFile(join(broken, 'config.json'), '{ not json');
    assert.deepEqual(await identifyModelFolder(broken), { candidates: [] });
    assert.deepEqual(identifyModelConfig({ model_type: 'llava', architectures: ['LlavaForConditionalGeneration'] }, manifests), { candidates: [] });
  });

  it('a config.json over 1 MB is not read, though it names a model Loupe knows', async () => {
    const real = readFileSync(join(tinyModelDir, 'config.json'), 'utf8');
    const padded = join(scratch(), 'padded');
    await mkdir(padded, { recursive: true });
    // Valid JSON that would identify the model: only its size keeps it from being parsed.
    await writeFile(join(padded, 'config.json'), real.replace(/\}\s*$/, `, "padding": "${'x'.repeat(1024 * 1024)}"}`));
    assert.deepEqual(await identifyModelFolder(padded), { candidates: [] });
    await writeFile(join(padded, 'config.json'), real);
    assert.notDeepEqual(await identifyModelFolder(padded), { candidates: [] });
  });
});
