/**
 * CTC decoding of the recognizer's output: PaddleOCR's greedy decoding (best class per step,
 * repeats merged, blank, class 0, dropped), except that a step the greedy path leaves blank
 * becomes a space where the space class is likely enough. The model, trained mostly on Chinese
 * text, holds spaces back, after a colon most of all ("Size:12"); docs/ocr.md has the figures.
 */

/** A blank step whose space probability exceeds this is read as a space. */
const SPACE_PROBABILITY = 0.15;
/** The same after a colon: where no space follows one, the model gives it at most ~0.03. */
const SPACE_AFTER_COLON_PROBABILITY = 0.05;
/** No space is put in before these. */
const CLOSING = /[:;,.!?)\]}%]/;

export interface Decoded {
  text: string;
  /** Mean probability of the characters read, 0..1. */
  confidence: number;
}

/**
 * `probabilities` holds `steps` rows of `classes` values; class k > 0 is dictionary[k - 1], and
 * the dictionary's last entry is the space PaddleOCR appends to it (use_space_char).
 */
export function decodeCtc(probabilities: Float32Array, steps: number, classes: number, dictionary: readonly string[]): Decoded {
  const space = dictionary[classes - 2] === ' ' ? classes - 1 : -1;
  let text = '';
  let confidenceSum = 0;
  let count = 0;
  let previous = 0;
  let heldSpace = 0;
  for (let t = 0; t < steps; t++) {
    const offset = t * classes;
    let best = 0;
    let bestP = probabilities[offset];
    for (let k = 1; k < classes; k++) {
      const p = probabilities[offset + k];
      if (p > bestP) {
        bestP = p;
        best = k;
      }
    }
    if (best === 0 && space > 0 && text && !text.endsWith(' ')) {
      const p = probabilities[offset + space];
      if (p > (text.endsWith(':') ? SPACE_AFTER_COLON_PROBABILITY : SPACE_PROBABILITY)) heldSpace = Math.max(heldSpace, p);
    }
    if (best !== 0 && best !== previous) {
      const char = dictionary[best - 1];
      if (heldSpace > 0 && char !== ' ' && !CLOSING.test(char)) {
        text += ' ';
        confidenceSum += heldSpace;
        count++;
      }
      heldSpace = 0;
      text += char;
      confidenceSum += bestP;
      count++;
    }
    previous = best;
  }
  return { text, confidence: count ? confidenceSum / count : 0 };
}
