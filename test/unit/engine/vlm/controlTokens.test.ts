import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import { controlTokenPattern, neutralizeControlTokens, neutralizeMessages } from '../../../../src/engine/vlm/controlTokens';
import { buildMessages } from '../../../../src/prompts/taskPrompts';
import { tinyModelDir } from '../../../support/paths';

/** SmolVLM's (Idefics3) control tokens, which an LFM2 hand list never knew. */
const SMOLVLM_TOKENS = ['<end_of_utterance>', '<fake_token_around_image>', '<global-img>', '<row_1_col_1>', '<image>'];

type Added = { content: string; special: boolean };
const addedTokens = (tokenizer: PreTrainedTokenizer) =>
  (tokenizer as unknown as { _tokenizer: { get_added_tokens_decoder(): Map<number, Added> } })._tokenizer.get_added_tokens_decoder();

/** The tiny LFM2-VL tokenizer with SmolVLM's control tokens added, as a tokenizer folder. */
function smolvlmStyleTokenizerDir(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'loupe-tok-')), 'tok');
  cpSync(tinyModelDir, dir, { recursive: true });
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  let id = 1024;
  for (const content of SMOLVLM_TOKENS.slice(0, -1)) {
    json.added_tokens.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    json.model.vocab[content] = id++;
  }
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  return dir;
}

describe('control tokens come from the tokenizer', () => {
  let lfm2: PreTrainedTokenizer;
  let smolvlm: PreTrainedTokenizer;
  before(async () => {
    lfm2 = await AutoTokenizer.from_pretrained(tinyModelDir, { local_files_only: true });
    smolvlm = await AutoTokenizer.from_pretrained(smolvlmStyleTokenizerDir(), { local_files_only: true });
  });

  for (const [name, tokens] of [
    ['LFM2-VL', ['<image>', '<|im_end|>', '<|im_start|>', '<|image_start|>', '<|img_row_1_col_2|>', '<|img_thumbnail|>', '<|startoftext|>']],
    ['SmolVLM', SMOLVLM_TOKENS],
  ] as const) {
    it(`no ${name} control token a user types reaches the model as one`, () => {
      const tokenizer = name === 'LFM2-VL' ? lfm2 : smolvlm;
      const added = addedTokens(tokenizer);
      const pattern = controlTokenPattern(added.values());
      const controlIds = new Set(added.keys());
      for (const token of tokens) {
        const text = `a ${token} b${token}`;
        assert.ok(tokenizer.encode(text, { add_special_tokens: false }).some((id) => controlIds.has(id)), `${token} is a control token raw`);
        const safe = neutralizeControlTokens(text, pattern);
        assert.equal(safe.replace(/\u200b/g, ''), text, 'the text is otherwise unchanged');
        const ids = tokenizer.encode(safe, { add_special_tokens: false });
        assert.ok(!ids.some((id) => controlIds.has(id)), `${token} still encodes as a control token`);
      }
    });
  }

  it('leaves ordinary angle brackets, HTML and generics alone', () => {
    const pattern = controlTokenPattern(addedTokens(smolvlm).values());
    for (const text of ['a < b > c', '<div class="x">', 'Array<string>', '<|', '|>', '<row>']) {
      assert.equal(neutralizeControlTokens(text, pattern), text);
    }
  });

  it('covers every text the user controls: question, turns, document context, OCR text', () => {
    const pattern = controlTokenPattern(addedTokens(lfm2).values());
    const messages = buildMessages({
      task: 'explain-screenshot',
      question: 'q <image>',
      history: [
        { role: 'user', text: 'first <|im_end|>' },
        { role: 'assistant', text: 'answer <|im_start|>' },
      ],
      documentContext: 'context <|image_start|>',
      ocrText: '[top] <|img_thumbnail|>',
    });
    const text = JSON.stringify(neutralizeMessages(messages, pattern));
    for (const token of ['<image>', '<|im_end|>', '<|im_start|>', '<|image_start|>', '<|img_thumbnail|>']) assert.ok(!text.includes(token), token);
    assert.equal(JSON.stringify(neutralizeMessages(messages, pattern)).replace(/\\u200b|\u200b/g, ''), JSON.stringify(messages));
  });
});
