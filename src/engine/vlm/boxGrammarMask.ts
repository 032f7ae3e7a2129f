/**
 * Find's answer is held to its grammar (src/engine/vlm/jsonBoxGrammar.ts) token by token: before
 * each token is drawn, every token whose text would leave the grammar gets -Infinity, and the end
 * of the answer is allowed only once the array is closed. A token is also refused when the shortest
 * valid ending after it no longer fits in the tokens left (each character of that ending is at most
 * one token; byte-level vocabularies hold every ASCII character alone), so the answer always closes
 * within the task's limit. Runs before TokenSampler, which then draws among what is left.
 */
import { LogitsProcessor, type Tensor } from '@huggingface/transformers';
import { REJECTED, INITIAL_STATE, boxesCompleted, charsToFinish, feedText, isComplete, maskKey } from './jsonBoxGrammar';

/** What the mask needs of a tokenizer: each token id's text (undefined: never allowed) and the end-of-answer ids. */
export interface TokenTable {
  texts: ReadonlyArray<string | undefined>;
  endIds: ReadonlySet<number>;
  /** The longest token text, in UTF-16 units. */
  longest: number;
}

interface TokenizerLike {
  get_vocab(): Map<string, number> | Record<string, number>;
  decode(ids: number[], options: { skip_special_tokens: boolean }): string;
  _tokenizer: { get_added_tokens_decoder(): Map<number, unknown> };
}

const tables = new WeakMap<object, TokenTable>();

/**
 * Each token's text, decoded once per tokenizer. Added tokens (control tokens, `<image>`) and
 * tokens that decode to part of a character (U+FFFD) or to nothing are never part of an answer.
 */
export function tokenTable(tokenizer: TokenizerLike, endIds: Iterable<number>): TokenTable {
  const known = tables.get(tokenizer);
  if (known) return known;
  const vocab = tokenizer.get_vocab();
  const ids = vocab instanceof Map ? [...vocab.values()] : Object.values(vocab);
  const added = tokenizer._tokenizer.get_added_tokens_decoder();
  // Loops, not Math.max(...ids): a real vocabulary's 65,536 arguments can overflow the stack.
  const texts: (string | undefined)[] = new Array<string | undefined>(ids.reduce((max, id) => Math.max(max, id), -1) + 1).fill(undefined);
  for (const id of ids) {
    if (added.has(id)) continue;
    const text = tokenizer.decode([id], { skip_special_tokens: false });
    if (text && !text.includes('\ufffd')) texts[id] = text;
  }
  const table = { texts, endIds: new Set(endIds), longest: texts.reduce((max, text) => Math.max(max, text?.length ?? 0), 0) };
  tables.set(tokenizer, table);
  return table;
}

/** Grammar states whose token needs are kept at once (the cache is cleared when full). */
const MAX_CACHED_STATES = 64;

export class BoxGrammarMask extends LogitsProcessor {
  private state = INITIAL_STATE;
  private step = 0;
  /**
   * Objects finished when the limit first refused the model's favourite grammar-valid token: from
   * there the answer was steered to its shortest ending, so a label closed early or a corner
   * written as 0 or 1 is the limit's, not the model's. Undefined while the limit has not mattered.
   */
  boxesBeforeLimit?: number;
  /** Per grammar state: for each token, the characters still needed after it (-1: not allowed). */
  private readonly cache = new Map<number, Int16Array>();

  /** `maxNewTokens`: the most tokens the answer may have, the end-of-answer token included. */
  constructor(
    private readonly table: TokenTable,
    private readonly maxNewTokens: number,
  ) {
    super();
  }

  /** One sequence at a time (the engine never batches): `logits` is [1, vocab]. */
  override _call(inputIds: bigint[][], logits: Tensor): Tensor {
    // From the second step on, the last input id is the token drawn at the previous step.
    if (this.step > 0) this.advance(Number(inputIds[0]!.at(-1)));
    const stepsLeft = this.maxNewTokens - this.step;
    this.step++;
    const scores = (logits as unknown as Tensor[])[0]!.data as Float32Array;
    const needs = this.after(this.state);
    const allowed = allowedTokens(this.table, needs, this.state, stepsLeft, scores.length);
    if (this.boxesBeforeLimit === undefined && !isComplete(this.state) && limitOverruled(needs, allowed, scores)) this.boxesBeforeLimit = boxesCompleted(this.state);
    for (let id = 0; id < scores.length; id++) if (!allowed[id]) scores[id] = -Infinity;
    return logits;
  }

  private advance(id: number): void {
    if (this.table.endIds.has(id)) return;
    const text = this.table.texts[id];
    const next = text === undefined ? REJECTED : feedText(this.state, text);
    // The mask allowed only tokens that stay in the grammar; anything else is a bug here.
    if (next === REJECTED) throw new Error(`Find's grammar mask let token ${id} through, which leaves the grammar.`);
    this.state = next;
  }

  private after(state: number): Int16Array {
    const key = maskKey(state, this.table.longest);
    let needs = this.cache.get(key);
    if (needs) return needs;
    needs = charsNeededAfterEachToken(this.table, state);
    if (this.cache.size >= MAX_CACHED_STATES) this.cache.clear();
    this.cache.set(key, needs);
    return needs;
  }
}

/** For each token, the fewest characters that finish the answer after it from `state`; -1 if it leaves the grammar. */
export function charsNeededAfterEachToken(table: TokenTable, state: number): Int16Array {
  const needs = new Int16Array(table.texts.length).fill(-1);
  table.texts.forEach((text, id) => {
    if (text === undefined) return;
    const next = feedText(state, text);
    if (next !== REJECTED) needs[id] = charsToFinish(next);
  });
  return needs;
}

/**
 * Whether the limit, not the model, chose here: the model's favourite among the tokens the grammar
 * allows was refused because its shortest ending would not fit. (Refusing tokens the model did not
 * favour changes nothing it would likely have said.)
 */
function limitOverruled(needs: Int16Array, allowed: Uint8Array, scores: Float32Array): boolean {
  let bestAllowed = -Infinity;
  let bestRefused = -Infinity;
  for (let id = 0; id < Math.min(needs.length, scores.length); id++) {
    if (allowed[id]) bestAllowed = Math.max(bestAllowed, scores[id]!);
    else if (needs[id]! >= 0) bestRefused = Math.max(bestRefused, scores[id]!);
  }
  return bestRefused > bestAllowed;
}

/**
 * Which tokens may come next with `stepsLeft` tokens left, this one included: a token whose
 * shortest ending, plus the end-of-answer token, fits in the steps after it; the end of the answer
 * once the array is closed. Exported for the tests, which walk it.
 */
export function allowedTokens(table: TokenTable, needs: Int16Array, state: number, stepsLeft: number, vocabSize: number): Uint8Array {
  const allowed = new Uint8Array(vocabSize);
  if (isComplete(state)) {
    for (const id of table.endIds) if (id < vocabSize) allowed[id] = 1;
    return allowed;
  }
  let any = false;
  for (let id = 0; id < Math.min(vocabSize, needs.length); id++) {
    const need = needs[id]!;
    if (need < 0 || need + 1 > stepsLeft - 1) continue;
    allowed[id] = 1;
    any = true;
  }
  // A limit too small for any answer ("[]" and the end take three tokens): end now, cut short.
  if (!any) for (const id of table.endIds) if (id < vocabSize) allowed[id] = 1;
  return allowed;
}
