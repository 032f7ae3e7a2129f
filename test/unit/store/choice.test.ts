import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listManifests } from '../../../src/catalog/catalog';
import { firstRunText, modelChoices } from '../../../src/store/choice';
import type { InstalledModel } from '../../../src/store/store';

describe('model choice', () => {
  it('describes each model with size, speed, license and install state', () => {
    const marker = { precision: 'fp16', precisions: [{ id: 'q4' }, { id: 'fp16' }], source: 'hub' };
    const installed = [{ modelId: 'smolvlm-256m', revision: 'r', dir: '/m/smolvlm-256m/r', marker }] as unknown as InstalledModel[];
    const choices = modelChoices(listManifests(), installed);
    assert.equal(choices.length, 5);
    const recommended = choices.filter((c) => c.recommended);
    assert.deepEqual(recommended.map((c) => c.id), ['lfm2.5-vl-450m']);
    assert.equal(recommended[0]?.sizeText, '809 MB');
    assert.deepEqual(choices.find((c) => c.id === 'smolvlm-256m')?.installed, { revision: 'r', precision: 'fp16', precisions: ['q4', 'fp16'], dir: '/m/smolvlm-256m/r', source: 'hub' });
    assert.equal(choices.find((c) => c.id === 'lfm2.5-vl-450m')?.installed, undefined);
    const lfm = choices.find((c) => c.id === 'lfm2.5-vl-450m');
    assert.equal(lfm?.unproven, undefined);
    assert.deepEqual(lfm?.precisions.map((p) => p.sizeText), ['809 MB', '680 MB', 'about 1 GB', 'about 2.1 GB']);
    assert.match(choices.find((c) => c.id === 'lfm2-vl-1.6b')?.unproven ?? '', /No public listing/);
  });

  it('fits the first-run explanation on one screen and names the command to run', () => {
    const text = firstRunText(modelChoices(listManifests(), []));
    const lines = text.trimEnd().split('\n');
    assert.ok(lines.length <= 24, `${lines.length} lines`);
    for (const id of ['lfm2.5-vl-450m', 'lfm2.5-vl-1.6b', 'lfm2-vl-450m', 'lfm2-vl-1.6b', 'smolvlm-256m']) assert.ok(text.includes(id), id);
    assert.match(text, /LFM Open License v1\.0 \(you accept it before download\)/);
    assert.match(text, /Apache-2\.0/);
    assert.match(text, /loupe models download lfm2\.5-vl-450m --accept-license/);
    assert.match(text, /works offline/);
    assert.match(text, /lfm2-vl-1\.6b[^]*\(unproven\) No public listing/);
  });
});
