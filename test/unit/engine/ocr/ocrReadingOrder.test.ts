import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arrangeLines, type RecognizedBox } from '../../../../src/engine/ocr/ocrReadingOrder';

/** A detected box around text `h` pixels tall, with the slack detection leaves around it. */
function box(text: string, x: number, y: number, w: number, h = 16): RecognizedBox {
  return { text, confidence: 0.9, quad: [[x, y], [x + w, y], [x + w, y + h], [x, y + h]] };
}

describe('OCR reading order', () => {
  it('is empty for no boxes', () => {
    assert.deepEqual(arrangeLines([]), { lines: [], text: '' });
  });

  it('joins boxes on one row left to right, two spaces across wide gaps', () => {
    const { lines, text } = arrangeLines([box('Edit', 60, 10, 30), box('File', 10, 11, 30), box('Help', 300, 9, 30)]);
    assert.equal(text, 'File Edit  Help');
    assert.equal(lines.length, 1);
    assert.deepEqual(lines[0].box, [[10, 9], [330, 9], [330, 27], [10, 27]]);
  });

  it('keeps tightly spaced lines apart even when their boxes overlap', () => {
    // 12 px text on a 14 px pitch: the 16 px boxes overlap by 2 px.
    const paragraph = ['The file could not be saved', 'because the disk is full.', 'Free up some space.'];
    const { lines, text } = arrangeLines(paragraph.map((t, i) => box(t, 20, 100 + i * 14, 200)).reverse());
    assert.equal(text, paragraph.join('\n'));
    assert.deepEqual(new Set(lines.map((l) => l.block)).size, 1);
  });

  it('reads a sidebar before the content beside it', () => {
    const sidebar = ['General', 'Editor', 'Appearance', 'Extensions'].map((t, i) => box(t, 16, 60 + i * 27, 80));
    const content = ['Font size 14', 'Font family Mono', 'Tab size 4', 'Line height 1.5', 'Word wrap on'].map((t, i) =>
      box(t, 200, 70 + i * 34, 150),
    );
    const { text } = arrangeLines([...content, ...sidebar]);
    assert.equal(text, 'General\nEditor\nAppearance\nExtensions\n\nFont size 14\nFont family Mono\nTab size 4\nLine height 1.5\nWord wrap on');
  });

  it('reads a table row by row, not column by column', () => {
    const rows = [
      ['unit-tests #4812', 'main', 'Passed'],
      ['integration #4811', 'feature/ocr', 'Failed'],
      ['lint #4810', 'main', 'Passed'],
    ];
    const boxes = rows.flatMap((cells, r) => cells.map((c, k) => box(c, 20 + k * 250, 100 + r * 34, 120)));
    const { lines } = arrangeLines(boxes.reverse());
    assert.deepEqual(
      lines.map((l) => l.text),
      ['unit-tests #4812  main  Passed', 'integration #4811  feature/ocr  Failed', 'lint #4810  main  Passed'],
    );
  });

  it('reads a menu bar across the top before the columns under it', () => {
    const menu = [box('Loupe CI', 20, 16, 70), box('Overview', 106, 16, 60), box('Search', 1500, 16, 100)];
    const left = ['Projects', 'loupe', 'docs-site'].map((t, i) => box(t, 20, 80 + i * 30, 80));
    const right = ['Recent activity', 'grace pushed 2 commits', '4 minutes ago'].map((t, i) => box(t, 1500, 90 + i * 20, 160));
    const { text } = arrangeLines([...right, ...left, ...menu]);
    assert.equal(text, 'Loupe CI Overview  Search\n\nProjects\nloupe\ndocs-site\n\nRecent activity\ngrace pushed 2 commits\n4 minutes ago');
  });

  it('starts a new block after a wide gap', () => {
    const { lines, text } = arrangeLines([box('Projects', 20, 80, 80), box('loupe', 20, 108, 80), box('Views', 20, 180, 80), box('Scheduled', 20, 208, 80)]);
    assert.equal(text, 'Projects\nloupe\n\nViews\nScheduled');
    assert.deepEqual(lines.map((l) => l.block), [0, 0, 1, 1]);
  });

  it('reads a heading above two columns first', () => {
    const heading = box('Monthly active users', 150, 10, 200);
    const axis = ['80', '60', '40'].map((t, i) => box(t, 10, 60 + i * 60, 20));
    const notes = ['Growth was steady all year', 'with a dip in April'].map((t, i) => box(t, 150, 60 + i * 20, 200));
    const { text } = arrangeLines([...notes, ...axis, heading]);
    assert.ok(text.startsWith('Monthly active users\n'), text);
  });
});
