/** Conversations kept per image: one too big to keep whole is trimmed, never dropped. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConversationStore, type Memento } from '../../../../src/features/askPanel/conversationStore';
import { SavedTurnSchema, type SavedTurn } from '../../../../src/protocol/webview';

function memento(): Memento {
  const values = new Map<string, unknown>();
  return {
    get: <T>(key: string) => values.get(key) as T | undefined,
    update: (key: string, value: unknown) => {
      values.set(key, JSON.parse(JSON.stringify(value)));
      return Promise.resolve();
    },
  };
}

const HASH = 'b'.repeat(64);

describe('conversation store', () => {
  it('a conversation past the size limit keeps its newest turns, clipped, from a question on', async () => {
    const turns: SavedTurn[] = Array.from({ length: 12 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', text: `${i}: ${'z'.repeat(i % 2 ? 49_000 : 50)}`, task: 'question' }));
    const store = new ConversationStore(memento());
    await store.save(HASH, turns);
    const kept = store.get(HASH)!;
    assert.ok(kept.length >= 2, `kept ${kept.length} turns`);
    assert.equal(kept.at(-1)!.text, turns.at(-1)!.text);
    assert.equal(kept[0]!.role, 'user');
    for (const turn of kept) SavedTurnSchema.parse(turn);
  });

  it('a single answer over the per-turn limit is kept clipped, with a note', async () => {
    const store = new ConversationStore(memento());
    await store.save(HASH, [
      { role: 'user', text: 'Everything?', task: 'question' },
      { role: 'assistant', text: 'w'.repeat(1_000_000), task: 'question' },
    ]);
    const kept = store.get(HASH)!;
    assert.equal(kept.length, 2);
    assert.match(kept[1]!.text, /characters left out\]$/);
  });
});
