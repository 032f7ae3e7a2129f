import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostToReviewSchema, type ReviewItem } from '../../../../src/protocol/altReview';
import { editRow, initialRows, originLabel, rowsSharingImage, type RowText } from '../../../../webview-ui/altReview/reviewRows';

const LOGIN = 'a'.repeat(64);
const CHART = 'b'.repeat(64);
const MODEL_TEXT = 'A sign-in form.';

/** Items as the webview receives them: through the schema. */
function items(...rows: Omit<ReviewItem, 'id' | 'imageUri' | 'src' | 'fromCache'>[]): ReviewItem[] {
  const message = HostToReviewSchema.parse({
    type: 'items',
    mode: 'batch',
    items: rows.map((row, id) => ({ id, imageUri: '', src: 'x.png', fromCache: id > 0, ...row })),
    skipped: 0,
    maxLength: 125,
    proposedBy: 'the local model',
  });
  return message.items;
}

const labels = (rows: RowText[]) => rows.map((row) => originLabel(row, rows, 'the local model'));
const values = (rows: RowText[]) => rows.map((row) => row.value);

describe('alt text review rows', () => {
  const batch = items(
    { location: 'docs/guide.md:5', imageHash: LOGIN, proposal: MODEL_TEXT },
    { location: 'docs/chart.md:3', imageHash: CHART, proposal: 'A bar chart.' },
    { location: 'site/index.html:5', imageHash: LOGIN, proposal: MODEL_TEXT },
    { location: 'docs/faq.md:3', imageHash: LOGIN, proposal: MODEL_TEXT },
  );

  it('start as proposed, labelled by where the proposal came from', () => {
    const rows = initialRows(batch);
    assert.deepEqual(values(rows), [MODEL_TEXT, 'A bar chart.', MODEL_TEXT, MODEL_TEXT]);
    assert.deepEqual(labels(rows), ['Proposed by the local model.', 'From the cache.', 'From the cache.', 'From the cache.']);
  });

  it("an edit is labelled as the author's, and the same image elsewhere takes it, saying whose it is", () => {
    const rows = editRow(initialRows(batch), 0, 'The sign-in form: email and password.');
    assert.deepEqual(values(rows), ['The sign-in form: email and password.', 'A bar chart.', 'The sign-in form: email and password.', 'The sign-in form: email and password.']);
    assert.deepEqual(labels(rows), [
      'Edited by you; also used for the same image at site/index.html:5, docs/faq.md:3.',
      'From the cache.',
      'Your edit, from docs/guide.md:5 (the same image).',
      'Your edit, from docs/guide.md:5 (the same image).',
    ]);
    assert.deepEqual(rowsSharingImage(rows, 2).map((row) => row.item.id), [0, 2, 3], 'the rows the webview refreshes');
  });

  it('a row the author typed in keeps its own text; the others follow the latest edit', () => {
    let rows = editRow(initialRows(batch), 0, 'First words.');
    rows = editRow(rows, 2, 'Own words for the page.');
    assert.deepEqual(values(rows), ['First words.', 'A bar chart.', 'Own words for the page.', 'Own words for the page.']);
    rows = editRow(rows, 0, 'Second words.');
    assert.deepEqual(values(rows), ['Second words.', 'A bar chart.', 'Own words for the page.', 'Second words.']);
    assert.deepEqual(labels(rows), [
      'Edited by you; also used for the same image at docs/faq.md:3.',
      'From the cache.',
      'Edited by you.',
      'Your edit, from docs/guide.md:5 (the same image).',
    ]);
  });

  it('typing the proposal back makes it the proposal again, where it was followed too', () => {
    const rows = editRow(editRow(initialRows(batch), 0, 'Other words.'), 0, ` ${MODEL_TEXT}  `);
    assert.deepEqual(values(rows).map((value) => value.trim()), [MODEL_TEXT, 'A bar chart.', MODEL_TEXT, MODEL_TEXT]);
    assert.deepEqual(labels(rows), ['Proposed by the local model.', 'From the cache.', 'From the cache.', 'From the cache.']);
  });

  it('the same image with another proposal (another language or length) keeps its own', () => {
    const mixed = items({ location: 'en/a.md:1', imageHash: LOGIN, proposal: MODEL_TEXT }, { location: 'de/a.md:1', imageHash: LOGIN, proposal: 'Ein Anmeldeformular.' });
    const rows = editRow(initialRows(mixed), 0, 'The sign-in form.');
    assert.deepEqual(values(rows), ['The sign-in form.', 'Ein Anmeldeformular.']);
    assert.deepEqual(labels(rows), ['Edited by you.', 'From the cache.']);
  });

  it('names three places, then counts the rest', () => {
    const many = items(...Array.from({ length: 6 }, (_, i) => ({ location: `p${i}.md:1`, imageHash: LOGIN, proposal: MODEL_TEXT })));
    const rows = editRow(initialRows(many), 0, 'Mine.');
    assert.equal(originLabel(rows[0], rows, 'the local model'), 'Edited by you; also used for the same image at p1.md:1, p2.md:1, p3.md:1 and 2 more.');
  });
});
