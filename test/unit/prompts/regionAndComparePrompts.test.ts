import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildMessages } from '../../../src/prompts/taskPrompts';

describe('region and comparison prompts', () => {
  it('states where a region lies in the full image, before the task', () => {
    const [message] = buildMessages({ task: 'explain-screenshot', question: '', history: [], crop: { x: 10, y: 20, width: 300, height: 40, of: { width: 1920, height: 1080 } } });
    assert.deepEqual(message!.content[0], { type: 'image' });
    const text = (message!.content[1] as { text: string }).text;
    assert.match(text, /^This image is the region 10,20,300,40 \(x, y, width, height in pixels\) of a 1920x1080 image/);
    assert.match(text, /Explain this screenshot/);
  });

  it('labels two images in order and lists the changed regions; a follow-up keeps both images', () => {
    const comparison = { changes: [{ x: 1, y: 2, width: 3, height: 4 }] };
    const [first] = buildMessages({ task: 'question', question: 'What changed?', history: [], comparison });
    assert.deepEqual(first!.content.slice(0, 4), [{ type: 'text', text: 'Image 1:\n' }, { type: 'image' }, { type: 'text', text: '\nImage 2:\n' }, { type: 'image' }]);
    const text = (first!.content[4] as { text: string }).text;
    assert.match(text, /in pixels of Image 1\):\n- 1,2,3,4\n\nWhat changed\?$/);

    const followUp = buildMessages({
      task: 'question',
      question: 'Where?',
      history: [{ role: 'user', text: 'What changed?', task: 'question' }, { role: 'assistant', text: 'A button moved.' }],
      comparison,
    });
    assert.deepEqual(followUp[0], first, 'the opening turn is repeated exactly, so the cached conversation continues');
    assert.equal(followUp.length, 3);
  });

  it('says the order of the images even when no region is given', () => {
    const [message] = buildMessages({ task: 'question', question: 'Same?', history: [], comparison: { changes: [] } });
    assert.match((message!.content[4] as { text: string }).text, /^\nImage 1 is the before and Image 2 the after\.\n\nSame\?$/);
  });
});
