import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import { TokenStream } from '../../../../src/engine/vlm/tokenStream';
import { tinyModelDir } from '../../../support/paths';

describe('TokenStream', () => {
  let tokenizer: PreTrainedTokenizer;
  before(async () => {
    tokenizer = await AutoTokenizer.from_pretrained(tinyModelDir, { local_files_only: true });
  });

  /** Feeds ids one at a time after a prompt, as generate() does; returns the pieces. */
  function stream(ids: number[], decodeCalls?: { lengths: number[] }): { pieces: string[]; text: string } {
    const decoder = {
      decode: (window: bigint[], options: { skip_special_tokens: boolean; clean_up_tokenization_spaces: boolean }) => {
        decodeCalls?.lengths.push(window.length);
        return tokenizer.decode(window, options);
      },
    };
    const pieces: string[] = [];
    const tokens = new TokenStream(decoder, (piece) => pieces.push(piece));
    tokens.put([[1n]]);
    for (const id of ids) tokens.put([[BigInt(id)]]);
    tokens.end();
    return { pieces, text: tokens.text };
  }

  it('pieces add up to the decoded answer, multi-byte characters and emoji included', () => {
    for (const answer of ['Hello, world! The build failed.', 'Grüße — naïve café 日本語 🙂👍🏽', '  spaces\n\nand lines\t']) {
      const ids = tokenizer.encode(answer, { add_special_tokens: false });
      const { pieces, text } = stream(ids);
      assert.equal(text, answer);
      assert.equal(pieces.join(''), answer);
      assert.ok(pieces.every((piece) => !piece.includes('\uFFFD')), 'no half characters shown');
    }
  });

  it('skips special tokens', () => {
    const ids = [...tokenizer.encode('Done.', { add_special_tokens: false }), 7];
    assert.equal(stream(ids).text, 'Done.');
  });

  it('decodes a short window per token, not the whole answer', () => {
    const ids = tokenizer.encode('word '.repeat(400), { add_special_tokens: false });
    const calls = { lengths: [] as number[] };
    stream(ids, calls);
    assert.ok(Math.max(...calls.lengths) < 16, `longest decode ${Math.max(...calls.lengths)} tokens of ${ids.length}`);
  });
});
