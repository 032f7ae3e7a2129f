/**
 * User text (questions, earlier turns, document context, OCR text) must never be read as control
 * tokens: `<image>` would desynchronise the image-token accounting, `<|im_end|>` or SmolVLM's
 * `<end_of_utterance>` would end the turn, `<row_1_col_1>` would claim a tile. The tokens come from
 * the loaded tokenizer's own added-token table, which is exactly what it matches before splitting
 * text, so every model family is covered without a hand-kept list. A zero-width space after the
 * first character keeps the text readable while the tokenizer no longer matches the token.
 */
import type { ChatMessage } from '../../prompts/taskPrompts';

interface AddedToken {
  content: string;
  special?: boolean;
}

/** The tokenizer's control tokens as one pattern; undefined when it has none. */
export function controlTokenPattern(addedTokens: Iterable<AddedToken>): RegExp | undefined {
  const tokens = [...addedTokens]
    // Markup-like or special: an added plain word would be read as itself anyway.
    .filter((token) => token.content.length > 1 && (token.special || /[<>|[\]]/.test(token.content)))
    .map((token) => token.content)
    // Longest first, so `<|image_start|>` is not matched as a shorter token's prefix.
    .sort((a, b) => b.length - a.length);
  if (tokens.length === 0) return undefined;
  return new RegExp(tokens.map((token) => token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
}

export function neutralizeControlTokens(text: string, pattern: RegExp | undefined): string {
  return pattern ? text.replace(pattern, (token) => `${token[0]}\u200b${token.slice(1)}`) : text;
}

/** The messages with every text part neutralised; the image placeholders are left as they are. */
export function neutralizeMessages(messages: ChatMessage[], pattern: RegExp | undefined): ChatMessage[] {
  return messages.map((message) => ({
    ...message,
    content:
      typeof message.content === 'string'
        ? neutralizeControlTokens(message.content, pattern)
        : message.content.map((part) => (part.type === 'text' ? { ...part, text: neutralizeControlTokens(part.text, pattern) } : part)),
  }));
}
