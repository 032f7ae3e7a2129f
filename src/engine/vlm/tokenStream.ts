import { BaseStreamer } from '@huggingface/transformers';

interface Decoder {
  decode(ids: bigint[], options: { skip_special_tokens: boolean; clean_up_tokenization_spaces: boolean }): string;
}

/**
 * Emits text per generated token, decoding only a short window of recent tokens (vLLM's
 * incremental detokenization): the text of `ids[prefix..]` minus that of `ids[prefix..read]` is
 * what the newest tokens add, with the earlier window tokens as context so SentencePiece-style
 * leading spaces come out right. Re-decoding the whole answer per token made streaming O(n²).
 * A character split over byte tokens (U+FFFD at the end) is held back until it is complete.
 */
export class TokenStream extends BaseStreamer {
  private readonly ids: bigint[] = [];
  private prefixOffset = 0;
  private readOffset = 0;
  private promptSkipped = false;
  /** Everything emitted so far: the answer as the user saw it. */
  text = '';
  count = 0;

  constructor(
    private readonly tokenizer: Decoder,
    private readonly onPiece: (text: string, tokenIndex: number) => void,
  ) {
    super();
  }

  override put(value: bigint[][]): void {
    if (!this.promptSkipped) {
      this.promptSkipped = true;
      return;
    }
    this.ids.push(...value[0]);
    this.count += value[0].length;
    this.step(false);
  }

  override end(): void {
    this.step(true);
  }

  private decode(from: number, to = this.ids.length): string {
    if (to <= from) return '';
    // No clean-up pass: it rewrites earlier text (" ." -> ".") and would break what was shown.
    return this.tokenizer.decode(this.ids.slice(from, to), { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  }

  private step(final: boolean): void {
    const before = this.decode(this.prefixOffset, this.readOffset);
    const now = this.decode(this.prefixOffset);
    if (now.length <= before.length || (!final && now.endsWith('\uFFFD'))) return;
    const piece = now.slice(before.length);
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    this.text += piece;
    this.onPiece(piece, this.count);
  }
}
