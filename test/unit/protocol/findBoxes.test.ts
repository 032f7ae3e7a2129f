import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_FIND_BOXES, parseFindAnswer } from '../../../src/protocol/findBoxes';

const image = { width: 200, height: 100 };

describe("Find's answer reader", () => {
  it('reads the documented format into pixels of the image (x, y, width, height)', () => {
    const answer = '[{"label": "Save button", "bbox": [0.1, 0.2, 0.35, 0.5]}, {"label": "logo", "bbox": [0, 0, 1, 1]}]';
    assert.deepEqual(parseFindAnswer(answer, image), {
      boxes: [
        { label: 'Save button', x: 20, y: 20, width: 50, height: 30 },
        { label: 'logo', x: 0, y: 0, width: 200, height: 100 },
      ],
    });
  });

  it('takes the whitespace and newlines models print, and whole-number corners', () => {
    const answer = '\n[\n  {"label":"a",\n   "bbox": [ 0 , 0.5,1, 1 ]}\n]\n';
    assert.deepEqual(parseFindAnswer(answer, image).boxes, [{ label: 'a', x: 0, y: 50, width: 200, height: 50 }]);
  });

  it('clamps corners outside the image to its edges and drops a box wholly outside it', () => {
    const answer = '[{"label": "edge", "bbox": [-0.2, 0.5, 1.4, 2]}, {"label": "gone", "bbox": [1.2, 0.1, 1.5, 0.3]}]';
    assert.deepEqual(parseFindAnswer(answer, image).boxes, [{ label: 'edge', x: 0, y: 50, width: 200, height: 50 }]);
  });

  it('reorders reversed corners', () => {
    const answer = '[{"label": "r", "bbox": [0.6, 0.9, 0.2, 0.3]}]';
    assert.deepEqual(parseFindAnswer(answer, image).boxes, [{ label: 'r', x: 40, y: 30, width: 80, height: 60 }]);
  });

  it('rounds outward, so a box never shrinks to nothing at pixel scale', () => {
    const [box] = parseFindAnswer('[{"label": "tiny", "bbox": [0.501, 0.501, 0.502, 0.502]}]', image).boxes;
    assert.deepEqual(box, { label: 'tiny', x: 100, y: 50, width: 1, height: 1 });
  });

  it('reads an empty list as nothing found, with no problem', () => {
    assert.deepEqual(parseFindAnswer('[]', image), { boxes: [] });
    assert.deepEqual(parseFindAnswer('  [ ]\n', image), { boxes: [] });
  });

  it('says an answer cut inside the list was cut short, not wrong', () => {
    assert.deepEqual(parseFindAnswer('[{"label": "a", "bbox": [0.1, 0.2', image), { boxes: [], problem: 'cut-short' });
    // The boxes written whole before the cut still count (a Stop, or a server's token limit).
    assert.deepEqual(parseFindAnswer('[{"label": "a ] }", "bbox": [0.1, 0.2, 0.3, 0.4]},', image), { boxes: [parseFindAnswer('[{"label": "a ] }", "bbox": [0.1, 0.2, 0.3, 0.4]}]', image).boxes[0]!], problem: 'cut-short' });
    assert.equal(parseFindAnswer('[{"label": "a ] }", "bbox": [0.1, 0.2, 0.3, 0.4]}, {"label": "b", "bbox": [0.5', image).boxes.length, 1);
  });

  it('finds nothing in prose, even prose around a valid list (strict: no guessing)', () => {
    for (const answer of [
      'There is a button at the top left.',
      'Here it is: [{"label": "a", "bbox": [0.1, 0.1, 0.2, 0.2]}]',
      '```json\n[{"label": "a", "bbox": [0.1, 0.1, 0.2, 0.2]}]\n```',
      '[{"label": "a", "bbox": [0.1, 0.1, 0.2, 0.2]}] I hope this helps.',
      '',
    ]) {
      assert.deepEqual(parseFindAnswer(answer, image), { boxes: [], problem: 'not-a-list' }, answer);
    }
  });

  it('finds nothing in a list of the wrong shape, and drops the whole answer rather than part of it', () => {
    for (const answer of [
      '{"label": "a", "bbox": [0.1, 0.1, 0.2, 0.2]}',
      '[{"label": "a", "bbox_2d": [100, 100, 200, 200]}]',
      '[{"label": "a", "bbox": [0.1, 0.1, 0.2]}]',
      '[{"label": "a", "bbox": ["0.1", 0.1, 0.2, 0.2]}]',
      '[{"label": 3, "bbox": [0.1, 0.1, 0.2, 0.2]}]',
      '[{"label": "a", "bbox": [0.1, 0.1, 0.2, 0.2], "score": 0.9}]',
      '[{"label": "ok", "bbox": [0.1, 0.1, 0.2, 0.2]}, [0.1, 0.1, 0.2, 0.2]]',
      `[${Array.from({ length: MAX_FIND_BOXES + 1 }, () => '{"label": "a", "bbox": [0, 0, 1, 1]}').join(',')}]`,
    ]) {
      const result = parseFindAnswer(answer, image);
      assert.equal(result.boxes.length, 0, answer);
      assert.ok(result.problem === 'wrong-shape' || result.problem === 'not-a-list', answer);
    }
  });
});
