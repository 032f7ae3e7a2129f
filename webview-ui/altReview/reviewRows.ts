/**
 * Whose words each row of the review holds. A row starts with its proposal (the model's, or the
 * cache's); text the author types is theirs. Rows showing the same image (same content hash) with
 * the same proposal take the author's edit too, unless the author typed in them as well: the
 * same picture, described for the same prompt, should not keep the model's words in one file and
 * the author's in another. Rows whose proposals differ (another language, another length) keep
 * their own. Pure: the DOM is main.ts's.
 */
import type { ReviewItem } from '../../src/protocol/altReview';

export interface RowText {
  item: ReviewItem;
  /** What the field holds. */
  value: string;
  /** The id of the row the author typed this text in (this row's own, or the row it follows); unset while it is the proposal. */
  editedIn?: number;
}

/** How many places a row names before "and N more". */
const PLACES_NAMED = 3;

export function initialRows(items: readonly ReviewItem[]): RowText[] {
  return items.map((item) => ({ item, value: item.proposal }));
}

/** As the host will write it: whitespace runs collapsed, trimmed. */
function written(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function sameImage(a: ReviewItem, b: ReviewItem): boolean {
  return a.imageHash === b.imageHash && a.proposal === b.proposal;
}

/** The rows after the author typed `value` into row `id`: that row, and every row of the same image and proposal not typed into itself (they follow the newest edit). */
export function editRow(rows: readonly RowText[], id: number, value: string): RowText[] {
  const edited = rows.find((row) => row.item.id === id);
  if (!edited) return [...rows];
  // Typing the proposal back makes it the proposal again, here and in the rows that follow.
  const editedIn = written(value) === written(edited.item.proposal) ? undefined : id;
  return rows.map((row) => {
    if (row.item.id === id) return { ...row, value, editedIn };
    const typedInItself = row.editedIn === row.item.id;
    return sameImage(row.item, edited.item) && !typedInItself ? { ...row, value, editedIn } : row;
  });
}

/** The rows an edit of row `id` may change: the same image with the same proposal (itself included). */
export function rowsSharingImage(rows: readonly RowText[], id: number): RowText[] {
  const row = rows.find((candidate) => candidate.item.id === id);
  return row ? rows.filter((candidate) => sameImage(candidate.item, row.item)) : [];
}

/** Where the row's text comes from, as its label says it: the model, the cache, or the author. */
export function originLabel(row: RowText, rows: readonly RowText[], proposedBy: string): string {
  if (row.editedIn === undefined) return row.item.fromCache ? 'From the cache.' : `Proposed by ${proposedBy}.`;
  if (row.editedIn !== row.item.id) {
    const source = rows.find((candidate) => candidate.item.id === row.editedIn);
    return `Your edit, from ${source?.item.location ?? 'another place'} (the same image).`;
  }
  const followers = rows.filter((candidate) => candidate.item.id !== row.item.id && candidate.editedIn === row.item.id).map((candidate) => candidate.item.location);
  if (followers.length === 0) return 'Edited by you.';
  const named = followers.slice(0, PLACES_NAMED).join(', ');
  const more = followers.length > PLACES_NAMED ? ` and ${followers.length - PLACES_NAMED} more` : '';
  return `Edited by you; also used for the same image at ${named}${more}.`;
}
