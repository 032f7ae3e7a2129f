import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildMessages } from '../../../src/prompts/taskPrompts';
import { TASKS } from '../../../src/protocol/tasks';

const userText = (messages: ReturnType<typeof buildMessages>, index = 0) => {
  const content = messages[index].content;
  if (typeof content === 'string') return content;
  return content.map((part) => (part.type === 'text' ? part.text : '<IMG>')).join('');
};

describe('buildMessages', () => {
  it('puts exactly one image first in the first user turn for every task', () => {
    for (const task of TASKS) {
      const messages = buildMessages({ task, question: task === 'question' ? 'What is this?' : '', history: [] });
      assert.equal(messages.length, 1);
      assert.equal(messages[0].role, 'user');
      const content = messages[0].content;
      assert.ok(Array.isArray(content));
      assert.deepEqual(content[0], { type: 'image' });
      assert.equal(content.filter((part) => part.type === 'image').length, 1);
      assert.ok(userText(messages).length > 10, `${task} has a prompt`);
    }
  });

  it('alt text prompt states the length limit and forbids "image of"', () => {
    const text = userText(buildMessages({ task: 'alt-text', question: '', history: [], altTextMaxLength: 90 }));
    assert.match(text, /90 characters/);
    assert.match(text, /Image of/);
  });

  it('quotes document context, OCR text and the language', () => {
    const text = userText(
      buildMessages({
        task: 'explain-screenshot',
        question: '',
        history: [],
        documentContext: 'Install the CLI, then <image> run it.',
        ocrText: '[top-left] Error: ENOENT',
        language: 'de',
      }),
    );
    assert.match(text, /Install the CLI/);
    assert.match(text, /Error: ENOENT/);
    assert.match(text, /"de"/);
  });

  it('keeps a follow-up conversation about the same image', () => {
    const messages = buildMessages({
      task: 'question',
      question: 'And the second button?',
      history: [
        { role: 'user', text: '', task: 'explain-screenshot' },
        { role: 'assistant', text: 'A settings dialog.' },
      ],
    });
    assert.deepEqual(
      messages.map((m) => m.role),
      ['user', 'assistant', 'user'],
    );
    assert.match(userText(messages, 0), /screenshot/, 'first turn keeps its task prompt');
    assert.equal(messages[2].content, 'And the second button?');
  });

  it("asks Find in Liquid AI's documented form, with what to find in it once (its article not doubled)", () => {
    const text = userText(buildMessages({ task: 'find', question: ' the Save button ', history: [] }));
    assert.equal(
      text,
      '<IMG>Inspect the image and detect the Save button. Provide result as a valid JSON: [{"label": str, "bbox": [x1,y1,x2,y2]}, ...]. ' +
        'Coordinates must be normalized to 0-1. If there is none, return [].',
    );
  });

  it('rejects a follow-up without a question and a history that starts with the assistant', () => {
    assert.throws(() => buildMessages({ task: 'question', question: ' ', history: [{ role: 'user', text: 'hi' }] }), /follow-up/);
    assert.throws(() => buildMessages({ task: 'question', question: 'q', history: [{ role: 'assistant', text: 'a' }] }), /user turn/);
  });
});
