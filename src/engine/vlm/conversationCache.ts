/**
 * What the VLM keeps between questions about one image, so a follow-up costs only its own tokens:
 * the conversation's token ids and the decoder state after them (LFM2's conv states and the
 * attention layers' keys and values), and the vision features of the current image, for a new
 * task on the same picture. One conversation and one image (or pair compared) at a time, so memory stays bounded;
 * a different image, region, preset or model (a new VisionLanguageModel) drops them, as does unloading.
 */
import type { VisionBudget } from '../../protocol/options';
import type { ChatMessage } from '../../prompts/taskPrompts';
import { pixelDigest, type RgbImage } from '../../imaging/rgbImage';
import { isCrop } from '../../imaging/region';
import { formatRegion } from '../../protocol/engine';

export type CacheUse = 'none' | 'vision' | 'conversation';

/** A conversation the next question can continue from. */
export interface StoredConversation {
  /** Every token so far: prompt and answer. The decoder state covers all but the last. */
  ids: bigint[];
  /** transformers.js's cache object for the decoder (past_key_values). */
  state: unknown;
  /** The messages that produced it, the answer included, as the next request will repeat them. */
  transcript: ChatMessage[];
  /** Pixel tensors the image took, for the stats of later turns. */
  tiles: number;
}

/**
 * The images' content, in order, and the vision budget: the same key means the same vision
 * features. A crop's region is part of it: another region is another image, even where two
 * crops happen to hold the same pixels.
 */
export function imageKey(images: readonly RgbImage[], vision: VisionBudget): string {
  const seen = images.map((image) => (isCrop(image) ? `${pixelDigest(image)}@${formatRegion(image.region)}` : pixelDigest(image)));
  return `${seen.join('+')}:${JSON.stringify(vision)}`;
}

export class ConversationCache {
  private conversation?: StoredConversation & { key: string };
  private vision?: { key: string; features: unknown };

  /** The stored conversation when `messages` repeat its transcript and add one user turn. */
  continuing(key: string, messages: ChatMessage[]): StoredConversation | undefined {
    const stored = this.conversation;
    if (!stored || stored.key !== key || messages.length !== stored.transcript.length + 1) return undefined;
    if (JSON.stringify(messages.slice(0, -1)) !== JSON.stringify(stored.transcript)) return undefined;
    return stored;
  }

  remember(key: string, conversation: StoredConversation): void {
    this.conversation = { key, ...conversation };
  }

  features(key: string): unknown {
    return this.vision?.key === key ? this.vision.features : undefined;
  }

  rememberFeatures(key: string, features: unknown): void {
    this.vision = { key, features };
  }
}
