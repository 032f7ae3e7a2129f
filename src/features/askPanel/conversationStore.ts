/**
 * Conversations kept per image content (sha256 of the bytes) in the workspace's state, so the
 * same picture brings its turns back after a window reload or after another image was shown in
 * between, whichever route it came by. Only the most recent images are kept, and a conversation too
 * big to keep whole is trimmed, never dropped: long texts clipped with a note, then the oldest
 * turns left out. No VS Code API here:
 * `Memento` is the small part of vscode.Memento this needs.
 */
import { z } from 'zod';
import { clipText, MAX_SAVED_TURN_CHARS, MAX_SAVED_TURNS, SavedTurnSchema, type SavedTurn } from '../../protocol/webview';

export interface Memento {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

const KEY = 'loupe.chat.conversations';
/** Images whose conversations are kept; the oldest goes first. */
const MAX_IMAGES = 20;
/** Keeps workspace state small: a kept conversation is for reading back, not an archive. */
const MAX_CHARS = 200_000;

const StoredSchema = z.array(z.object({ hash: z.string(), turns: z.array(SavedTurnSchema).max(MAX_SAVED_TURNS) }));
type Stored = z.infer<typeof StoredSchema>;

export class ConversationStore {
  constructor(private readonly memento: Memento) {}

  get(hash: string): SavedTurn[] | undefined {
    return this.all().find((entry) => entry.hash === hash)?.turns;
  }

  save(hash: string, turns: SavedTurn[]): Thenable<void> {
    const others = this.all().filter((entry) => entry.hash !== hash);
    const kept = trimToChars(
      turns.map((turn) => ({ ...turn, text: clipText(turn.text, MAX_SAVED_TURN_CHARS) })),
      MAX_CHARS,
    );
    const next: Stored = kept.length ? [...others, { hash, turns: kept }] : others;
    return this.memento.update(KEY, next.slice(-MAX_IMAGES));
  }

  private all(): Stored {
    const parsed = StoredSchema.safeParse(this.memento.get(KEY) ?? []);
    return parsed.success ? parsed.data : [];
  }
}

/** The newest turns that fit in `max` characters, starting with a question (an answer without its question goes too). */
function trimToChars(turns: SavedTurn[], max: number): SavedTurn[] {
  let total = 0;
  let start = turns.length;
  const size = (turn: SavedTurn) => turn.text.length + (turn.image?.icon?.length ?? 0);
  while (start > 0 && total + size(turns[start - 1]!) <= max) total += size(turns[--start]!);
  if (start > 0 && turns[start]?.role === 'assistant' && start < turns.length - 1) start++;
  return turns.slice(start);
}
