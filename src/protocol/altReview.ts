/**
 * Messages between the alt text review (src/features/altTextReview.ts: the workspace batch's list,
 * and one quick fix's proposal) and its webview (webview-ui/altReview/). Both ends validate what
 * they receive: the host does not trust the webview's sandbox, and the webview shows nothing it
 * cannot parse. Bundled into the webview too, so it imports nothing from Node or VS Code.
 */
import { z } from 'zod';
import { isPlaceholderAlt, looksLikeFileName } from './altTextWords';

/** Longest alt text the review accepts back (the setting's maximum is far lower; people may paste more). */
export const MAX_REVIEW_ALT_CHARS = 2_000;
/** More proposals than this in one batch would be a review nobody finishes; the host splits nothing, it refuses. */
export const MAX_REVIEW_ITEMS = 5_000;

export const ReviewItemSchema = z.object({
  /** Index into the host's list of proposals. */
  id: z.number().int().nonnegative(),
  /** "docs/guide.md:5", workspace-relative, for the user and the jump to the place. */
  location: z.string().min(1).max(2_000),
  /** The image reference as written in the document. */
  src: z.string().max(2_000),
  /** The image as a webview resource (thumbnail); empty when it cannot be shown. */
  imageUri: z.string().max(8_000),
  /** The image's content hash: rows with the same one show the same picture, so they share the author's edit. */
  imageHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** The model's proposal (post-processed, escaped only when written). */
  proposal: z.string().min(1).max(MAX_REVIEW_ALT_CHARS),
  /** The alt text the image has now ("screenshot"), when it has one. */
  currentAlt: z.string().max(MAX_REVIEW_ALT_CHARS).optional(),
  fromCache: z.boolean(),
});
export type ReviewItem = z.infer<typeof ReviewItemSchema>;

export const HostToReviewSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('items'),
    /** `batch`: a list with Accept/Skip per row; `single`: one quick fix's proposal, the image shown large. */
    mode: z.enum(['batch', 'single']),
    items: z.array(ReviewItemSchema).max(MAX_REVIEW_ITEMS),
    /** What else Apply does ("Describe diagram" writes a description with the alt text). */
    note: z.string().max(500).optional(),
    /** Images the batch could not describe (listed by "Show Skipped" afterwards). */
    skipped: z.number().int().nonnegative(),
    /** `loupe.altText.maxLength`: the counter under each field shows it. */
    maxLength: z.number().int().positive(),
    /** Who proposed the texts not from the cache: "the local model", 'the model server "Team GPU"'. */
    proposedBy: z.string().min(1).max(200),
  }),
]);
export type HostToReview = z.infer<typeof HostToReviewSchema>;

export const ReviewDecisionSchema = z.object({
  id: z.number().int().nonnegative(),
  accepted: z.boolean(),
  /** The text to write, as the author left it in the field. */
  alt: z.string().max(MAX_REVIEW_ALT_CHARS),
});
export type ReviewDecision = z.infer<typeof ReviewDecisionSchema>;

export const ReviewToHostSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('apply'), decisions: z.array(ReviewDecisionSchema).max(MAX_REVIEW_ITEMS) }),
  z.object({ type: z.literal('cancel') }),
  /** Show this proposal's place in the document (file:line). */
  z.object({ type: z.literal('reveal'), id: z.number().int().nonnegative() }),
]);
export type ReviewToHost = z.infer<typeof ReviewToHostSchema>;

/** Alt text the author must not apply as is: empty (decorative images have their own quick fix). */
export function reviewAltProblem(alt: string, mode: 'batch' | 'single'): string | undefined {
  if (alt.trim() !== '') return undefined;
  return `empty: write alt text${mode === 'batch' ? ', or Skip this image' : ''} (for a decorative image use the "Mark as decorative" quick fix)`;
}

/** Alt text that may be applied but that Loupe's own check would flag: the review says so as the author types. */
export function reviewAltWarning(alt: string): string | undefined {
  const text = alt.trim();
  if (isPlaceholderAlt(text)) return `"${text}" is a placeholder: Loupe will flag it. Say what the image shows.`;
  if (looksLikeFileName(text)) return 'a file name tells a reader nothing: Loupe will flag it. Say what the image shows.';
  return undefined;
}
