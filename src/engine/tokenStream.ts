import { BaseStreamer } from '@huggingface/transformers';

interface Decoder {
  decode(ids: bigint[] | number[], options: { skip_special_tokens: boolean; clean_up_tokenization_spaces: boolean }): string;
}

/**
 * Emits text per generated token. It re-decodes the whole answer and sends the new suffix, so the
 * pieces always add up to exactly the final text (a word split over tokens, or a multi-byte
 * character split over byte tokens, is held back until it decodes cleanly).
 */
export class TokenStream extends BaseStreamer {
  private readonly ids: bigint[] = [];
  private sentLength = 0;
  private promptSkipped = false;
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
    this.flush(false);
  }

  override end(): void {
    this.flush(true);
  }

  get text(): string {
    // No clean-up pass: it rewrites earlier text (" ." -> ".") and would break the prefix property.
    return this.tokenizer.decode(this.ids, { skip_special_tokens: true, clean_up_tokenization_spaces: false });
  }

  private flush(final: boolean): void {
    const text = this.text;
    // U+FFFD at the end means an incomplete UTF-8 sequence: wait for the next byte token.
    const stable = final ? text : text.replace(/\uFFFD+$/, '');
    if (stable.length <= this.sentLength) return;
    this.onPiece(stable.slice(this.sentLength), this.count);
    this.sentLength = stable.length;
  }
}
