/**
 * OCR accuracy measures for the evaluation set: character error rate and word recall, both on
 * whitespace-normalised text (line breaks and runs of spaces count as one space).
 */

export function normaliseWhitespace(text: string): string {
  return text.trim().replace(/\s+/g, ' ');
}

/** Edit distance (insertions, deletions, substitutions) between two strings, by code point. */
export function levenshtein(a: string, b: string): number {
  const x = [...a], y = [...b];
  if (x.length === 0) return y.length;
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[y.length];
}

/** Character error rate: edits needed to turn the recognised text into the truth, per truth character. */
export function characterErrorRate(recognised: string, truth: string): number {
  const reference = normaliseWhitespace(truth);
  const hypothesis = normaliseWhitespace(recognised);
  if (reference.length === 0) return hypothesis.length === 0 ? 0 : 1;
  return levenshtein(hypothesis, reference) / [...reference].length;
}

/** Share of the truth's words (exact, punctuation included, each occurrence counted) that were recognised. */
export function wordRecall(recognised: string, truth: string): number {
  const truthWords = normaliseWhitespace(truth).split(' ').filter(Boolean);
  if (truthWords.length === 0) return 1;
  const available = new Map<string, number>();
  for (const word of normaliseWhitespace(recognised).split(' ')) available.set(word, (available.get(word) ?? 0) + 1);
  let found = 0;
  for (const word of truthWords) {
    const left = available.get(word) ?? 0;
    if (left > 0) {
      found++;
      available.set(word, left - 1);
    }
  }
  return found / truthWords.length;
}
