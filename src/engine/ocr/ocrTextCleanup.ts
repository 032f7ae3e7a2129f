/**
 * Corrections for the recognizer's confusions where the context leaves no doubt: in many fonts
 * "1" and "l", "0" and "O", "I" and "l" differ by a pixel or two at UI sizes, and the
 * Chinese-trained model reads checkboxes and icons as CJK characters and Latin punctuation in
 * its full-width forms.
 */

const DIGIT_FOR: Record<string, string> = { l: '1', I: '1', O: '0', o: '0', θ: '0' };

export function fixLookalikes(text: string): string {
  return (
    text
      // Inside a number: "4l2" -> "412", "1O0" -> "100", "θ" is DejaVu Sans Mono's dotted zero.
      .replace(/(?<=\d)[lIOoθ]+(?=\d)/g, (letters) => [...letters].map((c) => DIGIT_FOR[c]).join(''))
      // Before a decimal point, at the start of a number or a version: "θ.071", "vo.2.0".
      .replace(/(?<=^|[^\p{L}\p{N}]|\bv)[Ooθ](?=[.,]\d)/gu, '0')
      // A lone "l" is no word: "pass l, fail 1" -> "pass 1, fail 1" (but "-l" and "I" stay).
      .replace(/(?<=^|\s)l(?=$|[\s,.;:)])/g, '1')
      // Among capitals "l" is a capital I: "Cl" -> "CI", "APl" -> "API".
      .replace(/\b(?=[A-Zl]*[A-Z])[A-Zl]*l[A-Zl]*\b/g, (word) => word.replaceAll('l', 'I'))
  );
}

/** Han, kana, CJK punctuation and full-width forms: what the Chinese-trained model reads icons as. */
const CJK = /[\u2E80-\u9FFF\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF\u3000-\u303F]/u;
/** Square and check-mark glyphs: checkboxes and radio buttons read as text ("■", "□", "√"). */
const BOX_GLYPH = /[\u25A0-\u25FF\u2610-\u2612\u2713\u2714\u221A]/u;
const STRAY = new RegExp(`${CJK.source}|${BOX_GLYPH.source}`, 'u');
const STRAY_AT_EDGE = new RegExp(
  `^${CJK.source}\\s*(?=[\\x21-\\x7E])|(?<=[\\x21-\\x7E])\\s*${CJK.source}$|^${BOX_GLYPH.source}\\s*(?=\\p{L})`,
  'gu',
);
/** Full-width ASCII forms and the ideographic space. */
const FULL_WIDTH = /[\uFF01-\uFF5E\u3000]/gu;
/** A page is Latin when CJK makes up less than this share of its characters. */
const LATIN_PAGE_CJK_SHARE = 0.1;

/**
 * Page-level clean-up. On a page of Latin text: full-width punctuation becomes ASCII ("2，" ->
 * "2,"), and a CJK character or a checkbox glyph alone in a box, or stuck to the edge of a Latin
 * word, is dropped. Then look-alikes are fixed in every box; boxes left empty are dropped.
 */
export function cleanUpTexts<T extends { text: string }>(boxes: T[]): T[] {
  const chars = boxes.flatMap((b) => [...b.text]);
  const cjk = chars.filter((c) => CJK.test(c)).length;
  const latin = cjk < LATIN_PAGE_CJK_SHARE * chars.length;
  return boxes
    .map((b) => {
      const text = latin ? b.text.replace(FULL_WIDTH, (c) => c.normalize('NFKC')).replace(STRAY_AT_EDGE, '') : b.text;
      return { ...b, text: fixLookalikes(text.trim()) };
    })
    .filter((b) => b.text && !(latin && [...b.text].every((c) => STRAY.test(c) || /\s/.test(c))));
}
