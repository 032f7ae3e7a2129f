/** The statistics every bench reports: medians (absolute times are noisy on a shared 2-core machine). */
export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** The value at a quantile (0..1) of the samples, nearest rank. */
export const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
};

/** Figures as the results files keep them. */
export const round = (value: number, digits = 1) => Number(value.toFixed(digits));
