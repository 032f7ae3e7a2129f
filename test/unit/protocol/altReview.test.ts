import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostToReviewSchema, reviewAltProblem, reviewAltWarning } from '../../../src/protocol/altReview';

describe('alt text review protocol', () => {
  const item = { id: 0, location: 'docs/guide.md:5', src: '../images/login.png', imageUri: '', imageHash: 'a'.repeat(64), proposal: 'A sign-in form.', fromCache: false };
  const message = { type: 'items', mode: 'single', items: [item], skipped: 0, maxLength: 125, proposedBy: 'the local model', note: 'The diagram description is written with it.' };

  it("carries the mode, the note and each image's content hash; a row without a hash is refused", () => {
    assert.equal(HostToReviewSchema.parse(message).mode, 'single');
    assert.equal(HostToReviewSchema.safeParse({ ...message, mode: 'other' }).success, false);
    assert.equal(HostToReviewSchema.safeParse({ ...message, items: [{ ...item, imageHash: undefined }] }).success, false);
    assert.equal(HostToReviewSchema.safeParse({ ...message, items: [{ ...item, imageHash: 'not a hash' }] }).success, false);
  });

  it('refuses empty alt text, offering Skip only where there is one', () => {
    assert.match(reviewAltProblem('  ', 'batch')!, /^empty: write alt text, or Skip this image/);
    assert.match(reviewAltProblem('  ', 'single')!, /^empty: write alt text \(for a decorative image use the "Mark as decorative" quick fix\)$/);
    assert.equal(reviewAltProblem('A form.', 'single'), undefined);
  });

  it("warns, as the quick fix's input box did, about alt text Loupe's own check would flag", () => {
    assert.match(reviewAltWarning(' Screenshot. ')!, /"Screenshot\." is a placeholder: Loupe will flag it/);
    assert.match(reviewAltWarning('login.png')!, /a file name tells a reader nothing/);
    assert.equal(reviewAltWarning('The sign-in form.'), undefined);
  });
});
