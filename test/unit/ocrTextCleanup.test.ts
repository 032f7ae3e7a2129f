import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanUpTexts, fixLookalikes } from '../../src/engine/ocrTextCleanup';

describe('OCR text clean-up', () => {
  it('turns letters inside numbers and a lone "l" into digits', () => {
    assert.equal(fixLookalikes('reads UI text (4l2 ms)'), 'reads UI text (412 ms)');
    assert.equal(fixLookalikes('# tests 2, pass l, fail 1'), '# tests 2, pass 1, fail 1');
    assert.equal(fixLookalikes('1O0% done'), '100% done');
  });

  it('leaves words, flags and the pronoun alone', () => {
    for (const text of ['ls -l', 'I agree', 'hello world', 'label l-value']) {
      assert.equal(fixLookalikes(text), text);
    }
  });

  it('drops checkbox and icon misreads on a Latin page', () => {
    const boxes = [{ text: '」' }, { text: '口 Show minimap' }, { text: 'Format on save' }, { text: 'Font size 14' }];
    assert.deepEqual(cleanUpTexts(boxes).map((b) => b.text), ['Show minimap', 'Format on save', 'Font size 14']);
  });

  it('keeps CJK text on a CJK page', () => {
    const boxes = [{ text: '设置' }, { text: '字体大小' }, { text: 'OK' }];
    assert.deepEqual(cleanUpTexts(boxes), boxes);
  });
});
