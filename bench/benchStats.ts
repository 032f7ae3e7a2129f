/** The statistics every bench reports: medians (absolute times are noisy on a shared 2-core machine). */
export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Figures as the results files keep them. */
export const round = (value: number, digits = 1) => Number(value.toFixed(digits));
