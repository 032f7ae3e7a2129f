import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_QUESTION_CHARS, type ChatTurn } from '../../../src/protocol/engine';
import { HostToWebviewSchema, MAX_HISTORY_CHARS, MAX_SAVED_TURN_CHARS, MAX_SAVED_TURNS, WebviewToHostSchema, type HostToWebview } from '../../../src/protocol/webview';
import { checkImageFile, urisFromDrop } from '../../../webview-ui/intake';
import { lineRect } from '../../../webview-ui/boxOverlay';
import { applyHostMessage, beginAsk, clearConversation, fitHistory, formatReadout, initialState, restoreState, retryLast, stopUnconfirmed, turnsForSaving, undoClear, type PanelState } from '../../../webview-ui/panelState';

const IMAGE_ID = '6f1c2a7e-3b4d-4c5e-8f90-123456789abc';
const image = { id: IMAGE_ID, name: 'shot.png', origin: 'docs/shot.png', mime: 'image/png', bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47]), hash: 'a'.repeat(64) };
const stats = (generatedTokens: number) => ({
  promptTokens: 120,
  imageTokens: 96,
  tiles: 1,
  generatedTokens,
  timeToFirstTokenMs: 400,
  tokensPerSecond: 25,
  totalMs: 2000,
});
/** Messages go through the schema first, as in the webview. */
const apply = (state: PanelState, message: HostToWebview, now = 0) => applyHostMessage(state, HostToWebviewSchema.parse(message), now);

function withImage(): PanelState {
  return apply(initialState(), { type: 'image', image });
}

describe('panel state', () => {
  it('streams tokens into the pending answer and ends with the authoritative text', () => {
    const asked = beginAsk(withImage(), 'alt-text', '', 1_000)!;
    assert.deepEqual(asked.history, []);
    let state = apply(asked.state, { type: 'started', requestId: 'r1', task: 'alt-text' }, 1_010);
    state = apply(state, { type: 'token', requestId: 'r1', index: 1, text: 'A ' }, 1_500);
    state = apply(state, { type: 'token', requestId: 'r1', index: 2, text: 'cat' }, 1_600);
    // A token from another request (an earlier, stopped one) is ignored.
    state = apply(state, { type: 'token', requestId: 'old', index: 9, text: 'zzz' }, 1_650);
    assert.equal(state.pending?.text, 'A cat');
    assert.equal(state.pending?.tokens, 2);
    assert.equal(state.pending?.firstTokenMs, 500);
    assert.equal(formatReadout(state, 1_600), '2 tokens · 10.0 tok/s · first token 500 ms');

    state = apply(state, { type: 'done', requestId: 'r1', text: 'A cat.', cancelled: false, stats: stats(3) }, 1_700);
    assert.equal(state.pending, undefined);
    assert.deepEqual(state.turns.map((t) => [t.role, t.text, t.task]), [
      ['user', 'Alt text', 'alt-text'],
      ['assistant', 'A cat.', 'alt-text'],
    ]);
    // First token and total as the user waited for them (the same first token as while streaming).
    assert.equal(formatReadout(state, 5_000), '3 tokens · 25.0 tok/s · first token 500 ms · total 700 ms');
  });

  it('sends the earlier turns as history with a follow-up question', () => {
    let state = beginAsk(withImage(), 'explain-screenshot', '', 0)!.state;
    state = apply(state, { type: 'started', requestId: 'r1', task: 'explain-screenshot' });
    state = apply(state, { type: 'done', requestId: 'r1', text: 'A login form.', cancelled: false, stats: stats(4) });
    const followUp = beginAsk(state, 'question', '  What is the button label? ', 0)!;
    assert.deepEqual(followUp.history, [
      { role: 'user', text: 'Explain screenshot', task: 'explain-screenshot' },
      { role: 'assistant', text: 'A login form.', task: 'explain-screenshot' },
    ]);
    assert.equal(followUp.state.turns.at(-1)?.text, 'What is the button label?');
    assert.equal(beginAsk(followUp.state, 'question', 'again', 0), undefined, 'one question at a time');
  });

  it('a task chip starts a new turn below the earlier ones, a fresh thread for the model, and leaves the typed text alone', () => {
    let state = beginAsk(withImage(), 'question', 'What is it?', 0)!.state;
    state = apply(state, { type: 'started', requestId: 'r1', task: 'question' });
    state = apply(state, { type: 'done', requestId: 'r1', text: 'A form.', cancelled: false, stats: stats(2) });
    state = { ...state, draft: 'half-typed follow-up' };
    const chip = beginAsk(state, 'alt-text', '', 0)!;
    assert.deepEqual(chip.history, []);
    assert.deepEqual(chip.state.turns.map((t) => t.text), ['What is it?', 'A form.', 'Alt text']);
    assert.equal(chip.state.draft, 'half-typed follow-up');
    // A follow-up after the chip continues the chip's thread, not the earlier one.
    let after = apply(chip.state, { type: 'started', requestId: 'r2', task: 'alt-text' });
    after = apply(after, { type: 'done', requestId: 'r2', text: 'A sign-in form.', cancelled: false, stats: stats(4) });
    assert.deepEqual(beginAsk(after, 'question', 'Shorter?', 0)!.history.map((t) => t.text), ['Alt text', 'A sign-in form.']);
  });

  it('the first-token time after the answer is the one shown while it streamed', () => {
    let state = beginAsk(withImage(), 'question', 'What is it?', 1_000)!.state;
    state = apply(state, { type: 'started', requestId: 'r1', task: 'question' }, 1_010);
    state = apply(state, { type: 'token', requestId: 'r1', index: 1, text: 'A' }, 1_953);
    const streaming = formatReadout(state, 2_000);
    state = apply(state, { type: 'done', requestId: 'r1', text: 'A form.', cancelled: false, stats: { ...stats(2), timeToFirstTokenMs: 49 } }, 2_500);
    const first = (text: string) => /first token ([^·]+)/.exec(text)?.[1]?.trim();
    assert.equal(first(streaming), '953 ms');
    assert.equal(first(formatReadout(state, 2_600)), '953 ms');
  });

  it('flags an answer cut at the token limit, and Continue follows up on it', () => {
    let state = beginAsk(withImage(), 'describe-diagram', '', 0)!.state;
    state = apply(state, { type: 'started', requestId: 'r1', task: 'describe-diagram' });
    state = apply(state, { type: 'done', requestId: 'r1', text: 'The diagram shows', cancelled: false, stats: stats(8), cutAtTokens: 8 });
    assert.equal(state.turns.at(-1)?.cutAtTokens, 8);
    assert.match(formatReadout(state, 0), /cut at 8 tokens/);
    const next = beginAsk(state, 'question', 'Continue', 0)!;
    assert.deepEqual(next.history.map((t) => t.text), ['Describe diagram', 'The diagram shows']);
  });

  it('Retry asks the latest question again in place of its answer', () => {
    let state = beginAsk(withImage(), 'question', 'What is it?', 0)!.state;
    state = apply(state, { type: 'started', requestId: 'r1', task: 'question' });
    state = apply(state, { type: 'done', requestId: 'r1', text: 'A form.', cancelled: false, stats: stats(2) });
    const retry = retryLast(state)!;
    assert.deepEqual(retry.state.turns, []);
    assert.deepEqual([retry.task, retry.question], ['question', 'What is it?']);
  });

  it('a refused image clears the old one and shows the error at the image; the conversation stays', () => {
    const asked = beginAsk(withImage(), 'alt-text', '', 0)!.state;
    const answered = apply(apply(asked, { type: 'started', requestId: 'r1', task: 'alt-text' }), { type: 'done', requestId: 'r1', text: 'x', cancelled: false, stats: stats(1) });
    assert.equal(apply(answered, { type: 'imageRefused', message: 'bad.png is damaged.', actions: [] }).turns.length, 2);
    const state = apply(withImage(), { type: 'imageRefused', message: 'bad.png is damaged.', actions: [{ label: 'Choose another image…', command: 'pickImage' }] });
    assert.equal(state.image, null);
    assert.deepEqual(state.error, { message: 'bad.png is damaged.', actions: [{ label: 'Choose another image…', command: 'pickImage' }], at: 'image' });
    assert.equal(beginAsk(state, 'alt-text', '', 0), undefined);
  });

  it('the same picture brings back the conversation the host kept for it', () => {
    const turns = [{ role: 'user' as const, text: 'Alt text', task: 'alt-text' as const, question: '' }, { role: 'assistant' as const, text: 'A form.', task: 'alt-text' as const, outcome: 'done' as const }];
    const state = apply(initialState(), { type: 'image', image, conversation: turns });
    assert.deepEqual(state.turns, turns);
    assert.equal(state.image?.hash, image.hash);
  });

  it('cannot ask without an image', () => {
    assert.equal(beginAsk(initialState(), 'alt-text', '', 0), undefined);
  });

  it('keeps a stopped answer and marks it', () => {
    let state = beginAsk(withImage(), 'describe-diagram', '', 0)!.state;
    state = apply(state, { type: 'started', requestId: 'r1', task: 'describe-diagram' });
    state = apply(state, { type: 'token', requestId: 'r1', index: 1, text: 'Boxes' });
    state = apply(state, { type: 'done', requestId: 'r1', text: 'Boxes', cancelled: true, stats: stats(1) });
    assert.equal(state.turns.at(-1)?.outcome, 'stopped');
    assert.match(formatReadout(state, 0), /stopped$/);
  });

  it('on failure drops the unanswered question back into the box and shows the actions', () => {
    let state = beginAsk(withImage(), 'question', 'What is it?', 0)!.state;
    state = apply(state, { type: 'started', requestId: 'r1', task: 'question' });
    state = apply(state, {
      type: 'failed',
      requestId: 'r1',
      code: 'MODEL_MISSING',
      message: 'No model is installed.',
      actions: [{ label: 'Download model…', command: 'loupe.downloadModel' }],
    });
    assert.equal(state.pending, undefined);
    assert.deepEqual(state.turns, []);
    assert.equal(state.draft, 'What is it?');
    assert.equal(state.error?.actions[0]?.command, 'loupe.downloadModel');
  });

  it('a new image goes on with the conversation, shown beside its first question; the same image sent again changes nothing', () => {
    let state = beginAsk(withImage(), 'alt-text', '', 0)!.state;
    state = apply(state, { type: 'started', requestId: 'r1', task: 'alt-text' });
    state = apply(state, { type: 'done', requestId: 'r1', text: 'A sign-in form.', cancelled: false, stats: stats(1) });
    assert.deepEqual(state.turns[0]!.image, { name: 'shot.png', hash: 'a'.repeat(64) });
    assert.equal(apply(state, { type: 'image', image }), state);
    const otherImage = { ...image, id: '0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d', name: 'other.png', hash: 'c'.repeat(64) };
    // Kept turns for the other picture do not replace a conversation under way.
    let other = apply(state, { type: 'image', image: otherImage, conversation: [{ role: 'user', text: 'old', task: 'question' }] });
    assert.deepEqual(other.turns, state.turns, 'the earlier turns stay');
    assert.equal(other.image?.name, 'other.png');
    other = { ...other, image: { ...other.image!, icon: 'data:image/webp;base64,AAAA' } };
    const asked = beginAsk(other, 'question', 'And this one?', 0)!;
    assert.deepEqual(asked.history, [], 'the turns about shot.png are not sent: the model sees only other.png');
    assert.deepEqual(asked.state.turns.at(-1)!.image, { name: 'other.png', hash: 'c'.repeat(64), icon: 'data:image/webp;base64,AAAA' });
    let next = apply(asked.state, { type: 'started', requestId: 'r2', task: 'question' });
    next = apply(next, { type: 'done', requestId: 'r2', text: 'A chart.', cancelled: false, stats: stats(1) });
    const followUp = beginAsk(next, 'question', 'Which bar?', 0)!;
    assert.deepEqual(followUp.history.map((turn) => turn.text), ['And this one?', 'A chart.']);
    assert.equal(followUp.state.turns.at(-1)!.image?.icon, undefined, 'only the first question about an image shows it');
    // Retry of an answer about the earlier image is not asked about this one.
    assert.equal(retryLast({ ...state, image: other.image }), undefined);
  });

  it('Continue on an alt text goes on within that task, its thread sent, the typed text left alone', () => {
    let state = beginAsk({ ...withImage(), draft: 'typed meanwhile' }, 'alt-text', '', 0)!.state;
    state = apply(state, { type: 'started', requestId: 'r1', task: 'alt-text' });
    state = apply(state, { type: 'done', requestId: 'r1', text: 'A sign-in form with', cancelled: false, cutAtTokens: 64, stats: stats(64) });
    const continued = beginAsk(state, 'alt-text', 'Continue', 0)!;
    assert.deepEqual(continued.history.map((turn) => [turn.task, turn.text]), [['alt-text', 'Alt text'], ['alt-text', 'A sign-in form with']]);
    assert.equal(continued.state.turns.at(-1)!.text, 'Continue');
    assert.equal(continued.state.pending!.task, 'alt-text');
    assert.equal(continued.state.draft, 'typed meanwhile');
    // A follow-up question afterwards still belongs to the same thread.
    let next = apply(continued.state, { type: 'started', requestId: 'r2', task: 'alt-text' });
    next = apply(next, { type: 'done', requestId: 'r2', text: 'two fields.', cancelled: false, stats: stats(3) });
    assert.equal(beginAsk(next, 'question', 'Shorter?', 0)!.history.length, 4);
  });

  it('an answer abandoned for a new image or a new conversation leaves no question unanswered', () => {
    const asked = beginAsk(withImage(), 'question', 'What is it?', 0)!.state;
    const otherImage = { ...image, id: '0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d', name: 'other.png', hash: 'c'.repeat(64) };
    assert.deepEqual(apply(asked, { type: 'image', image: otherImage }).turns, [], 'nothing arrived: the question goes');
    const streaming = apply(apply(asked, { type: 'started', requestId: 'r1', task: 'question' }), { type: 'token', requestId: 'r1', index: 2, text: 'A form' });
    assert.deepEqual(apply(streaming, { type: 'image', image: otherImage }).turns.map((turn) => [turn.role, turn.text, turn.outcome]), [['user', 'What is it?', undefined], ['assistant', 'A form', 'stopped']]);
    assert.equal(clearConversation(streaming).cleared!.at(-1)!.outcome, 'stopped');
  });

  it('an empty chat takes the conversation kept for the picture', () => {
    const kept = [{ role: 'user', text: 'old question', task: 'question' }, { role: 'assistant', text: 'old answer', task: 'question' }] as const;
    const state = apply(initialState(), { type: 'image', image, conversation: [...kept] });
    assert.deepEqual(state.turns, kept);
  });

  it('New conversation can be undone until the next question', () => {
    let state = beginAsk(withImage(), 'alt-text', '', 0)!.state;
    state = apply(state, { type: 'started', requestId: 'r1', task: 'alt-text' });
    state = apply(state, { type: 'done', requestId: 'r1', text: 'x', cancelled: false, stats: stats(1) });
    const cleared = clearConversation(state);
    assert.deepEqual(cleared.turns, []);
    assert.match(cleared.notice!.text, /Undo brings back the last one \(1 question\)/);
    assert.deepEqual(undoClear(cleared).turns, state.turns);
    assert.equal(beginAsk(cleared, 'alt-text', '', 0)!.state.cleared, undefined, 'asking again ends the chance to undo');
  });

  it('keeps the image id, name and origin in the saved state, never its bytes', () => {
    const state = withImage();
    assert.deepEqual(state.image, { id: IMAGE_ID, name: 'shot.png', origin: 'docs/shot.png', hash: image.hash });
    const saved = JSON.stringify({ ...state, image: { ...state.image!, thumbnail: 'data:image/webp;base64,UklGRg==' } });
    assert.deepEqual(restoreState(JSON.parse(saved)).image, { id: IMAGE_ID, name: 'shot.png', origin: 'docs/shot.png', hash: image.hash, thumbnail: 'data:image/webp;base64,UklGRg==' });
  });

  it('drops a saved state from before image ids: the host could not send that image back', () => {
    const old = { ...initialState(), preset: 'fast', image: { name: 'a.png', dataUrl: 'data:image/png;base64,AAAA', origin: 'a.png' }, turns: [{ role: 'user', text: 'x', task: 'question' }] };
    assert.deepEqual(restoreState(old), { ...initialState(), preset: 'fast' });
  });

  it('an OCR result becomes the answer and the overlay', () => {
    let state = beginAsk(withImage(), 'extract-text', '', 0)!.state;
    state = apply(state, { type: 'started', requestId: 'r1', task: 'extract-text' });
    const line = { text: 'Save', confidence: 0.9, box: [[10, 10], [50, 10], [50, 30], [10, 30]] as [[number, number], [number, number], [number, number], [number, number]], block: 0 };
    state = apply(state, { type: 'ocrDone', requestId: 'r1', result: { width: 100, height: 50, lines: [line], text: 'Save', ms: 12 } });
    assert.equal(state.ocr?.lines.length, 1);
    assert.equal(state.turns.at(-1)?.outcome, 'ocr');
    assert.equal(formatReadout(state, 0), '1 line recognised · OCR 12 ms · hover a box to read it, click to copy');
  });

  it('Find is a thread of its own: the words it looks for are its question, its boxes replace the OCR overlay', () => {
    let state = beginAsk(withImage(), 'extract-text', '', 0)!.state;
    state = apply(state, { type: 'started', requestId: 'r1', task: 'extract-text' });
    state = apply(state, { type: 'ocrDone', requestId: 'r1', result: { width: 100, height: 50, lines: [], text: '', ms: 12 } });
    state = { ...state, draft: 'the Save button' };
    const asked = beginAsk(state, 'find', 'the Save button', 1_000)!;
    assert.deepEqual(asked.history, [], 'earlier turns are not sent: the answer is a list of boxes');
    assert.deepEqual(asked.state.turns.at(-1), { role: 'user', text: 'Find: the Save button', task: 'find', question: 'the Save button', image: { name: 'shot.png', hash: 'a'.repeat(64) } });
    assert.equal(asked.state.draft, '', 'the words sent leave the box');
    state = apply(asked.state, { type: 'started', requestId: 'r2', task: 'find' }, 1_000);
    const find = { boxes: [{ label: 'Save', x: 10, y: 10, width: 40, height: 20 }], image: { width: 100, height: 50 } };
    state = apply(state, { type: 'done', requestId: 'r2', text: '**1 found**', cancelled: false, stats: stats(30), find }, 3_000);
    assert.deepEqual(state.found, find);
    assert.equal(state.ocr, undefined);
    assert.equal(formatReadout(state, 3_000), '1 found · total 2.0 s · Tab to a box or hover it for its label, Enter copies it');
    // Retry looks for the same words again; a question after it follows up on the Find.
    assert.deepEqual(retryLast(state) && { task: retryLast(state)!.task, question: retryLast(state)!.question }, { task: 'find', question: 'the Save button' });
    const followUp = beginAsk(state, 'question', 'Which is bigger?', 4_000)!;
    assert.deepEqual(followUp.history.map((turn) => turn.text), ['Find: the Save button', '**1 found**']);
    // A new image takes the boxes away with it.
    const next = apply(state, { type: 'image', image: { ...image, id: '7f1c2a7e-3b4d-4c5e-8f90-123456789abc', hash: 'b'.repeat(64) } });
    assert.equal(next.found, undefined);
  });

  it('a selected region goes with each question, is shown on its turn, is asked again by Retry, and goes with the image', () => {
    const region = { x: 120, y: 75, width: 240, height: 150 };
    let state: PanelState = { ...withImage(), region };
    const asked = beginAsk(state, 'question', 'What does it say?', 0)!;
    assert.deepEqual(asked.state.turns.at(-1)?.region, region);
    state = apply(asked.state, { type: 'started', requestId: 'r1', task: 'question' });
    state = apply(state, { type: 'done', requestId: 'r1', text: 'Password', cancelled: false, stats: stats(3) });
    // Retry asks about the same part, even after the region was taken away.
    assert.deepEqual(retryLast({ ...state, region: undefined })?.region, region);
    assert.equal(beginAsk({ ...state, region: undefined }, 'question', 'And the rest?', 0)!.state.turns.at(-1)?.region, undefined);
    // Kept in saved conversations as it is, within the schema.
    assert.deepEqual(turnsForSaving(state.turns).at(-2)?.region, region);
    assert.equal(apply(state, { type: 'image', image: { ...image, id: '7f1c2a7e-3b4d-4c5e-8f90-123456789abc', hash: 'b'.repeat(64) } }).region, undefined);
  });

  it('a second image makes questions comparisons: its own thread, named on the turn, the pixel diff drawn, "no pixel changed" an answer', () => {
    const second = { ...image, id: '7f1c2a7e-3b4d-4c5e-8f90-123456789abc', name: 'after.png', hash: 'b'.repeat(64) };
    let state = apply({ ...withImage(), region: { x: 1, y: 1, width: 8, height: 8 } }, { type: 'secondImage', image: second });
    assert.deepEqual(state.second, { id: second.id, name: 'after.png', origin: 'docs/shot.png' });
    assert.equal(state.region, undefined, 'two whole images are compared');
    const asked = beginAsk(state, 'question', 'What changed?', 0)!;
    assert.deepEqual(asked.history, []);
    assert.deepEqual(asked.state.turns.at(-1)?.comparedWith, { name: 'after.png' });
    state = apply(asked.state, { type: 'started', requestId: 'r1', task: 'question' });
    const diff = { width: 480, height: 300, alignment: 'same-size' as const, changedPixels: 0, boxes: [] };
    state = apply(state, { type: 'changes', requestId: 'r1', diff, answer: 'No pixel changed: the two images are the same.' });
    assert.equal(state.pending, undefined);
    assert.deepEqual(state.changes, diff);
    assert.equal(state.turns.at(-1)?.text, 'No pixel changed: the two images are the same.');
    // The host took it away (or a reload did): questions are about the first image again.
    assert.equal(retryLast(state)?.question, 'What changed?', 'Retry compares again');
    state = apply(state, { type: 'secondImage', image: null });
    assert.equal(state.second, undefined);
    assert.equal(retryLast(state), undefined, 'a comparison is not retried as a question about one image');
    assert.equal(state.changes, undefined);
    assert.equal(beginAsk(state, 'question', 'And now?', 0)!.state.turns.at(-1)?.comparedWith, undefined);
    assert.equal(restoreState({ ...state, second: { id: second.id, name: 'after.png', origin: '' } }).second, undefined, 'a reloaded webview shows no second image until the host sends it');
  });

  it('a snapshot after a reload resumes the stream where the host is', () => {
    const restored = restoreState(JSON.parse(JSON.stringify(beginAsk(withImage(), 'alt-text', '', 0)!.state)));
    const state = apply(restored, { type: 'snapshot', requestId: 'r9', task: 'alt-text', text: 'A b', tokens: 2, elapsedMs: 900, firstTokenMs: 300 }, 10_000);
    assert.equal(state.pending?.text, 'A b');
    assert.equal(state.pending?.askedAt, 9_100);
    assert.equal(apply(state, { type: 'token', requestId: 'r9', index: 3, text: ' c' }).pending?.text, 'A b c');
  });

  it('a restored webview stops waiting for an answer the host no longer produces', () => {
    let state = beginAsk(withImage(), 'describe-diagram', '', 0)!.state;
    state = apply(state, { type: 'started', requestId: 'r1', task: 'describe-diagram' });
    state = apply(state, { type: 'token', requestId: 'r1', index: 1, text: 'Boxes' });
    const init = { type: 'init', modelStatus: { state: 'loaded', preset: 'fast' }, targets: { hasSelection: false }, isMac: false } as const;
    // Still running on the host: keep waiting.
    assert.equal(apply(state, { ...init, activeRequestId: 'r1' }).pending?.requestId, 'r1');
    // Gone (VS Code reloaded meanwhile): keep what arrived as a stopped answer.
    const interrupted = apply(state, init);
    assert.equal(interrupted.pending, undefined);
    assert.deepEqual(interrupted.turns.at(-1), { role: 'assistant', text: 'Boxes', task: 'describe-diagram', outcome: 'stopped' });
    assert.match(interrupted.notice?.text ?? '', /interrupted/);
  });

  it('replaces a damaged saved state', () => {
    assert.deepEqual(restoreState({ turns: 'nope' }), initialState());
    assert.deepEqual(restoreState(undefined), initialState());
  });

  it('shows the phase before the first token', () => {
    let state = beginAsk(withImage(), 'alt-text', '', 0)!.state;
    state = apply(state, { type: 'started', requestId: 'r1', task: 'alt-text' });
    state = apply(state, { type: 'progress', requestId: 'r1', phase: 'loading-model' });
    assert.equal(formatReadout(state, 2_500), 'Loading model · 2.5 s');
  });
});

describe('limits that degrade, never hang', () => {
  const long = (n: number, role: ChatTurn['role']): ChatTurn => ({ role, text: `${role} ${n} `.padEnd(60_000, 'x'), task: 'question' });
  const thread: ChatTurn[] = [{ role: 'user', text: 'What is this?', task: 'question' }, ...Array.from({ length: 11 }, (_, i) => long(i, i % 2 ? 'user' : 'assistant'))];

  it('a follow-up after huge answers sends a history the host accepts, newest kept, and says it was trimmed', () => {
    const { history, trimmed } = fitHistory(thread);
    const total = history.reduce((sum, turn) => sum + turn.text.length, 0);
    assert.ok(total <= MAX_HISTORY_CHARS, `${total} characters of history`);
    assert.ok(history.every((turn) => turn.text.length <= MAX_QUESTION_CHARS));
    assert.equal(history[0]!.text, 'What is this?', 'the opening question stays');
    assert.equal(history[1]!.role, 'assistant', 'turns alternate as the chat format wants');
    assert.match(history.at(-1)!.text, /^assistant 10 /, 'the newest turn is kept');
    assert.ok(trimmed && trimmed.leftOut > 0);
    WebviewToHostSchema.parse({ type: 'ask', task: 'question', question: 'And?', preset: 'fast', history });
  });

  it('a short thread goes whole, with no note', () => {
    const short: ChatTurn[] = [
      { role: 'user', text: 'What is this?', task: 'question' },
      { role: 'assistant', text: 'A form.', task: 'question' },
    ];
    assert.deepEqual(fitHistory(short), { history: short });
  });

  it('the turn asked with a trimmed history says so', () => {
    const state = { ...withImage(), turns: thread.map((turn) => ({ ...turn, task: turn.task ?? 'question' })) };
    const asked = beginAsk(state, 'question', 'And then?', 0)!;
    assert.ok(asked.state.turns.at(-1)!.historyTrimmed!.leftOut > 0);
  });

  it('saving keeps the newest turns the protocol allows, long texts clipped with a note', () => {
    const turns = Array.from({ length: MAX_SAVED_TURNS + 10 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', text: i === MAX_SAVED_TURNS + 9 ? 'y'.repeat(300_000) : `turn ${i}`, task: 'question' }) as const);
    const saved = turnsForSaving(turns);
    assert.equal(saved.length, MAX_SAVED_TURNS);
    assert.ok(saved.at(-1)!.text.length <= MAX_SAVED_TURN_CHARS);
    assert.match(saved.at(-1)!.text, /characters left out\]$/);
    WebviewToHostSchema.parse({ type: 'saveConversation', hash: 'a'.repeat(64), turns: saved });
  });

  it('Stop with no word from the host ends the turn with what arrived, and ignores the late answer', () => {
    let state = apply(beginAsk(withImage(), 'question', 'Long?', 0)!.state, { type: 'started', requestId: 'r1', task: 'question' });
    state = apply(state, { type: 'token', requestId: 'r1', index: 3, text: 'So far' });
    state = stopUnconfirmed(state);
    assert.equal(state.pending, undefined);
    assert.deepEqual(state.turns.at(-1), { role: 'assistant', text: 'So far', task: 'question', outcome: 'stopped' });
    const late = apply(state, { type: 'done', requestId: 'r1', text: 'So far and more', cancelled: true, stats: stats(5) });
    assert.equal(late.turns.length, state.turns.length);
  });

  it('Stop before anything arrived puts the question back in the box', () => {
    const state = stopUnconfirmed(beginAsk(withImage(), 'question', 'Long?', 0)!.state);
    assert.equal(state.pending, undefined);
    assert.equal(state.draft, 'Long?');
    assert.equal(state.turns.length, 0);
  });

  it('a refused question ends the wait, says why, and gives the question back', () => {
    const asked = beginAsk(withImage(), 'question', 'Too much?', 0)!.state;
    const state = apply(asked, { type: 'refused', of: 'ask', message: 'Loupe could not take the question from the chat (history.1.text: Too big).' });
    assert.equal(state.pending, undefined);
    assert.equal(state.draft, 'Too much?');
    assert.match(state.error!.message, /could not take the question/);
  });
});

describe('lineRect', () => {
  it('turns a rotated quadrilateral into a clamped percentage box', () => {
    const rect = lineRect({ box: [[20, 10], [220, 20], [218, 40], [-5, 30]] }, 200, 100);
    assert.deepEqual(rect, { left: 0, top: 10, width: 100, height: 30 });
  });
});

describe('intake checks', () => {
  it('accepts images by type or extension and names the file when refusing', () => {
    const mime = (checked: ReturnType<typeof checkImageFile>) => ('format' in checked ? checked.format.mime : checked.error);
    assert.equal(mime(checkImageFile({ name: 'a.png', type: 'image/png', size: 10 })), 'image/png');
    assert.equal(mime(checkImageFile({ name: 'b.webp', type: '', size: 10 })), 'image/webp');
    const unknown = checkImageFile({ name: 'notes.txt', type: 'text/plain', size: 10 });
    assert.ok('error' in unknown && unknown.error.includes('notes.txt') && unknown.error.includes('PNG'));
    const pdf = checkImageFile({ name: 'notes.pdf', type: 'application/pdf', size: 10 });
    assert.ok('error' in pdf && /^notes\.pdf is a PDF document, which Loupe cannot read\. Convert it to PNG/.test(pdf.error));
    const tooBig = checkImageFile({ name: 'huge.png', type: 'image/png', size: 60_000_000 });
    assert.ok('error' in tooBig && /^huge\.png is 60 MB, more than the 50 MB Loupe reads/.test(tooBig.error), JSON.stringify(tooBig));
  });

  it('reads URIs from VS Code drags, preferring its own list', () => {
    const data: Record<string, string> = {
      'application/vnd.code.uri-list': 'file:///w/a.png\r\nfile:///w/b.png',
      'text/uri-list': 'file:///other.png',
    };
    assert.deepEqual(urisFromDrop((type) => data[type] ?? ''), ['file:///w/a.png', 'file:///w/b.png']);
    assert.deepEqual(urisFromDrop((type) => (type === 'text/uri-list' ? '# comment\nfile:///x.png' : '')), ['file:///x.png']);
    assert.deepEqual(urisFromDrop((type) => (type === 'resourceurls' ? '["vscode-remote://h/a.png"]' : '')), ['vscode-remote://h/a.png']);
    assert.deepEqual(urisFromDrop(() => ''), []);
  });
});
