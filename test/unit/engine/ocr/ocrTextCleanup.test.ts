import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanUpTexts, fixLookalikes } from '../../../../src/engine/ocr/ocrTextCleanup';

describe('OCR text clean-up', () => {
  it('turns letters inside numbers and a lone "l" into digits', () => {
    assert.equal(fixLookalikes('reads UI text (4l2 ms)'), 'reads UI text (412 ms)');
    assert.equal(fixLookalikes('# tests 2, pass l, fail 1'), '# tests 2, pass 1, fail 1');
    assert.equal(fixLookalikes('1O0% done'), '100% done');
  });

  it('turns dotted zeros, zeros before a decimal point and an l among capitals right', () => {
    assert.equal(fixLookalikes('got θ.071'), 'got 0.071');
    assert.equal(fixLookalikes('release vo.2.0-rc.1'), 'release v0.2.0-rc.1');
    assert.equal(fixLookalikes('Cl build time'), 'CI build time');
    assert.equal(fixLookalikes('REST APl'), 'REST API');
  });

  it('leaves words, flags and the pronoun alone', () => {
    for (const text of ['ls -l', 'I agree', 'hello world', 'label l-value', 'Load 0l', 'Hello.5', 'Class', 'Cl2']) {
      assert.equal(fixLookalikes(text), text);
    }
  });

  it('drops checkbox and icon misreads on a Latin page', () => {
    const boxes = [{ text: '」' }, { text: '口 Show minimap' }, { text: 'Format on save' }, { text: 'Font size 14' }];
    assert.deepEqual(cleanUpTexts(boxes).map((b) => b.text), ['Show minimap', 'Format on save', 'Font size 14']);
  });

  it('drops checkbox glyphs and turns full-width punctuation into ASCII on a Latin page', () => {
    const boxes = [{ text: '■Show minimap' }, { text: '√' }, { text: '□ Render whitespace' }, { text: '# tests 2， pass l， fail 1' }, { text: '√2 ≈ 1.41' }];
    assert.deepEqual(cleanUpTexts(boxes).map((b) => b.text), ['Show minimap', 'Render whitespace', '# tests 2, pass 1, fail 1', '√2 ≈ 1.41']);
  });

  it('keeps CJK text on a CJK page', () => {
    const boxes = [{ text: '设置' }, { text: '字体大小' }, { text: 'OK' }];
    assert.deepEqual(cleanUpTexts(boxes), boxes);
  });
});
