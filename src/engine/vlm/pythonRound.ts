/**
 * Python's `round` (and `torch.round`): halves go to the even neighbour. Upstream preprocessing is
 * Python, and JavaScript's `Math.round` rounds halves up, which changes token counts and pixels.
 */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  if (value - floor !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}
