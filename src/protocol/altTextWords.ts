/**
 * Alt text that says nothing about the image: a placeholder word or a file name. One owner for
 * the checker's findings (src/altText/findings.ts), the clean-up of model answers (altQuality.ts)
 * and the review's advice as the author types (webview-ui/altReview/), which imports protocol only.
 */
const PLACEHOLDER_WORDS = new Set(['image', 'picture', 'photo', 'screenshot', 'img', 'graphic', 'figure', 'icon']);
const IMAGE_FILE_NAME = /\.(png|jpe?g|gif|webp|svg|bmp)$/i;

/** "Image", " photo. ", "ICON:" — a word that says nothing about what the image shows. */
export function isPlaceholderAlt(alt: string): boolean {
  const word = alt.trim().replace(/[\p{P}\s]+$/u, '').toLowerCase();
  return PLACEHOLDER_WORDS.has(word);
}

/** "diagram-v2.png": alt text that is only the file name. */
export function looksLikeFileName(alt: string): boolean {
  return IMAGE_FILE_NAME.test(alt.trim());
}
