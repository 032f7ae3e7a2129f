/**
 * Corrections for the recognizer's digit/letter confusions where the context leaves no doubt:
 * in many fonts "1" and "l", "0" and "O" differ by a pixel or two at UI sizes.
 */

const DIGIT_FOR: Record<string, string> = { l: '1', I: '1', O: '0', o: '0' };

export function fixDigitLookalikes(text: string): string {
  return (
    text
      // Inside a number: "4l2" -> "412", "1O0" -> "100".
      .replace(/(?<=\d)[lIOo]+(?=\d)/g, (letters) => [...letters].map((c) => DIGIT_FOR[c]).join(''))
      // A lone "l" is no word: "pass l, fail 1" -> "pass 1, fail 1" (but "-l" and "I" stay).
      .replace(/(?<=^|\s)l(?=$|[\s,.;:)])/g, '1')
  );
}

/** Han, kana, CJK punctuation and full-width forms: what the Chinese-trained model reads icons as. */
const CJK = /[\u2E80-\u9FFF\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFFEF\u3000-\u303F]/u;
const CJK_AT_EDGE = new RegExp(`^${CJK.source}\\s*(?=[\\x21-\\x7E])|(?<=[\\x21-\\x7E])\\s*${CJK.source}$`, 'gu');
/** A page is Latin when CJK makes up less than this share of its characters. */
const LATIN_PAGE_CJK_SHARE = 0.1;

/**
 * On a page of Latin text, a CJK character alone in a box or stuck to the edge of a Latin word
 * is a checkbox, bullet or icon the model read as "口" or "」": drop it.
 */
export function withoutStrayCjk<T extends { text: string }>(boxes: T[]): T[] {
  const chars = boxes.flatMap((b) => [...b.text]);
  const cjk = chars.filter((c) => CJK.test(c)).length;
  if (cjk === 0 || cjk >= LATIN_PAGE_CJK_SHARE * chars.length) return boxes;
  return boxes
    .map((b) => ({ ...b, text: b.text.replace(CJK_AT_EDGE, '') }))
    .filter((b) => ![...b.text].every((c) => CJK.test(c) || /\s/.test(c)));
}
