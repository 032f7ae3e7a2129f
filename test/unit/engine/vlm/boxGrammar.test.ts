/**
 * Find's grammar and its token mask: the grammar takes the documented answers and nothing else,
 * and no walk of the mask over the real tiny model's tokenizer, whatever the logits, leaves it,
 * runs past the token limit, or ends in text the strict reader refuses.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AutoTokenizer, Tensor } from '@huggingface/transformers';
import { INITIAL_STATE, REJECTED, charsToFinish, feedChar, feedText, isComplete, maskKey } from '../../../../src/engine/vlm/jsonBoxGrammar';
import { BoxGrammarMask, charsNeededAfterEachToken, tokenTable, type TokenTable } from '../../../../src/engine/vlm/boxGrammarMask';
import { MAX_FIND_BOXES, MAX_FIND_LABEL_CHARS, parseFindAnswer } from '../../../../src/protocol/findBoxes';
import { seededRandom } from '../../../../src/engine/vlm/tokenSampler';
import { tinyModelDir } from '../../../support/paths';

const accepts = (text: string) => isComplete(feedText(INITIAL_STATE, text));
const box = (label = 'a') => `{"label": "${label}", "bbox": [0.1, 0.2, 0.3, 0.4]}`;

describe("Find's answer grammar", () => {
  it('takes the documented answers, as models space them', () => {
    for (const answer of [
      '[]',
      '[ ]',
      `[${box('Save button')}]`,
      `[${box()}, ${box('b')}]`,
      '[{"label":"x","bbox":[0,0,1,1]}]',
      '\n[\n  {\n    "label": "OK",\n    "bbox": [0.1234, 0, 1.0, 0.5]\n  }\n]',
      `[${Array.from({ length: MAX_FIND_BOXES }, () => box()).join(',')}]`,
      `[${box('é 中文 label')}]`,
    ]) {
      assert.ok(accepts(answer), answer);
    }
  });

  it('refuses everything else: other keys, scales, shapes, labels, text after the list', () => {
    for (const answer of [
      `[${box()}] done`,
      `Here: [${box()}]`,
      '[{"label": "a", "bbox_2d": [0.1, 0.2, 0.3, 0.4]}]',
      '[{"bbox": [0.1, 0.2, 0.3, 0.4], "label": "a"}]',
      '[{"label": "a", "bbox": [100, 200, 300, 400]}]',
      '[{"label": "a", "bbox": [0.1, 0.2, 0.3]}]',
      '[{"label": "a", "bbox": [0.1, 0.2, 0.3, 0.4, 0.5]}]',
      '[{"label": "a", "bbox": [.1, 0.2, 0.3, 0.4]}]',
      '[{"label": "a", "bbox": [0.12345, 0.2, 0.3, 0.4]}]',
      '[{"label": "", "bbox": [0.1, 0.2, 0.3, 0.4]}]',
      '[{"label": "say \\"hi\\"", "bbox": [0.1, 0.2, 0.3, 0.4]}]',
      '[{"label": "line\nbreak", "bbox": [0.1, 0.2, 0.3, 0.4]}]',
      `[${box('x'.repeat(MAX_FIND_LABEL_CHARS + 1))}]`,
      `[${Array.from({ length: MAX_FIND_BOXES + 1 }, () => box()).join(',')}]`,
      `[${box()},]`,
      '[' + ' '.repeat(20) + ']',
    ]) {
      assert.ok(!accepts(answer), answer);
    }
    assert.ok(accepts(`[${box('x'.repeat(MAX_FIND_LABEL_CHARS))}]`), 'a label of exactly the longest length');
  });

  it('knows the fewest characters to a valid end from every prefix, and that ending exists', () => {
    const answer = `[${box('Save')}, ${box('Open')}]`;
    const alphabet = [...new Set(`[]{}",: 0.1abl${answer}`)];
    let state = INITIAL_STATE;
    for (const ch of answer) {
      // From here, a greedy walk that lowers the count by one per character must reach the end in exactly that many.
      let walk = state;
      const need = charsToFinish(walk);
      for (let i = 0; i < need; i++) {
        const next = alphabet.map((c) => feedChar(walk, c)).find((s) => s !== REJECTED && charsToFinish(s) === charsToFinish(walk) - 1);
        assert.ok(next !== undefined, `no step towards the end after ${JSON.stringify(answer.slice(0, 0))}`);
        walk = next;
      }
      assert.ok(isComplete(walk));
      state = feedChar(state, ch);
      assert.notEqual(state, REJECTED);
    }
    assert.equal(charsToFinish(state), 0);
    assert.equal(charsToFinish(INITIAL_STATE), 2);
  });
});

describe("Find's token mask over the tiny model's tokenizer", () => {
  let table: TokenTable;
  const END = 7; // <|im_end|>, generation_config.json's eos_token_id

  before(async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(tinyModelDir, { local_files_only: true });
    table = tokenTable(tokenizer as never, [END]);
  });

  /** One answer drawn through the mask from random logits; returns its text and how it ended. */
  function walk(seed: number, maxNewTokens: number, bias: (text: string | undefined) => number = () => 0) {
    const random = seededRandom(seed);
    const mask = new BoxGrammarMask(table, maxNewTokens);
    const ids: bigint[] = [1n];
    let text = '';
    for (let step = 0; step < maxNewTokens; step++) {
      const scores = Float32Array.from(table.texts, (t) => random() * 4 + bias(t));
      const masked = mask._call([ids], new Tensor('float32', scores, [1, scores.length]));
      const data = (masked as unknown as Tensor[])[0]!.data as Float32Array;
      let chosen = -1;
      for (let id = 0; id < data.length; id++) if (data[id]! > -Infinity && (chosen < 0 || data[id]! > data[chosen]!)) chosen = id;
      assert.ok(chosen >= 0, 'some token is always allowed');
      if (chosen === END) return { text, ended: true, steps: step + 1 };
      text += table.texts[chosen]!;
      ids.push(BigInt(chosen));
    }
    return { text, ended: false, steps: maxNewTokens };
  }

  it('never lets control tokens, or tokens that are part of a character, into an answer', () => {
    assert.equal(table.texts[END], undefined);
    assert.equal(table.texts[1], undefined, '<|startoftext|>');
    assert.ok(table.texts.filter((t) => t !== undefined).length > 300, 'the ordinary tokens are there');
  });

  it('ends every random walk with a complete answer the reader takes, within the token limit', () => {
    const image = { width: 640, height: 480 };
    let withBoxes = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const maxNewTokens = 3 + (seed * 37) % 200;
      // Half the walks lean towards opening objects, so long lists and the box limit are walked too.
      const lean = seed % 2 === 0 ? (t: string | undefined) => (t?.includes('{') || t?.includes(',') ? 3 : 0) : undefined;
      const { text, ended, steps } = walk(seed, maxNewTokens, lean);
      assert.ok(ended, `seed ${seed}: ended with the end token within ${maxNewTokens} tokens (text ${JSON.stringify(text)})`);
      assert.ok(steps <= maxNewTokens);
      assert.ok(accepts(text), `seed ${seed}: ${JSON.stringify(text)}`);
      const result = parseFindAnswer(text, image);
      assert.equal(result.problem, undefined, `seed ${seed}: ${JSON.stringify(text)}`);
      if (result.boxes.length > 0 || text.includes('{')) withBoxes++;
    }
    assert.ok(withBoxes > 30, `walks produced objects (${withBoxes})`);
  });

  it('shares a cached mask only between label lengths that allow exactly the same tokens', () => {
    const masks = new Map<number, Int16Array>();
    let shared = 0;
    for (let read = 0; read <= MAX_FIND_LABEL_CHARS; read++) {
      const state = feedText(INITIAL_STATE, `[{"label": "${'x'.repeat(read)}`);
      const needs = charsNeededAfterEachToken(table, state);
      const key = maskKey(state, table.longest);
      const known = masks.get(key);
      if (known) {
        shared++;
        assert.deepEqual(needs, known, `label of ${read} characters`);
      } else masks.set(key, needs);
    }
    assert.ok(shared > 10, `most label lengths share one mask (${shared})`);
  });

  it('shares a cached mask between box counts only where no token can reach the last box allowed', () => {
    const masks = new Map<number, Int16Array>();
    let shared = 0;
    const object = '{"label": "a", "bbox": [0, 0, 1, 1]}';
    for (let boxes = 0; boxes <= MAX_FIND_BOXES; boxes++) {
      // After each count of finished boxes: between objects, and inside the next one's label.
      for (const tail of ['', ',', ', {"label": "ab']) {
        const state = feedText(INITIAL_STATE, `[${Array(boxes).fill(object).join(',')}${boxes > 0 ? tail : ''}`);
        if (state === REJECTED) continue;
        const needs = charsNeededAfterEachToken(table, state);
        const key = maskKey(state, table.longest);
        const known = masks.get(key);
        if (known) {
          shared++;
          assert.deepEqual(needs, known, `${boxes} boxes, then ${JSON.stringify(tail)}`);
        } else masks.set(key, needs);
      }
    }
    assert.ok(shared > 20, `most box counts share one mask (${shared})`);
  });

  it('with room for just "[]" and the end, answers exactly that', () => {
    assert.deepEqual(walk(3, 3), { text: '[]', ended: true, steps: 3 });
  });

  it('allows the end of the answer only once the list is closed', () => {
    const mask = new BoxGrammarMask(table, 100);
    const scores = new Float32Array(table.texts.length).fill(0);
    scores[END] = 100;
    const data = (mask._call([[1n]], new Tensor('float32', scores, [1, scores.length])) as unknown as Tensor[])[0]!.data as Float32Array;
    assert.equal(data[END], -Infinity, 'no end before "["');
    const opening = data.findIndex((v, id) => v > -Infinity && table.texts[id]!.trimStart().startsWith('['));
    assert.ok(opening >= 0, 'a token opening the list is allowed');
  });
});
