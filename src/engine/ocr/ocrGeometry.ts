/**
 * Small plane geometry for OCR boxes: convex hull and minimum-area rectangle (what OpenCV's
 * `minAreaRect` gives PaddleOCR), growing a rectangle outwards, and quad helpers.
 */

export type Point = [number, number];
/** Four corners, clockwise from top-left (y grows downwards). */
export type Quad = [Point, Point, Point, Point];

export interface AxisBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface RotatedRect {
  center: Point;
  /** Unit vector along the rectangle's width. */
  axis: Point;
  width: number;
  height: number;
}

const cross = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);

/** Andrew's monotone chain; returns the hull counter-clockwise in y-up terms, without repeats. */
export function convexHull(points: Point[]): Point[] {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (sorted.length < 3) return sorted;
  const lower: Point[] = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = sorted.length - 1; i >= 0; i--) {
    const p = sorted[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** Smallest-area enclosing rectangle: one of its sides lies on a hull edge, so try each edge. */
export function minAreaRect(points: Point[]): RotatedRect {
  const hull = convexHull(points);
  if (hull.length === 0) return { center: [0, 0], axis: [1, 0], width: 0, height: 0 };
  let best: RotatedRect | undefined;
  let bestArea = Infinity;
  const edges = hull.map((p, i) => edgeDirection(p, hull[(i + 1) % hull.length])).filter((e) => e !== undefined);
  // A single (possibly repeated) point has no edge: any orientation will do.
  if (edges.length === 0) edges.push([1, 0]);
  for (const axis of edges) {
    const normal: Point = [-axis[1], axis[0]];
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (const [x, y] of hull) {
      const u = x * axis[0] + y * axis[1];
      const v = x * normal[0] + y * normal[1];
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (area < bestArea - 1e-9) {
      bestArea = area;
      const cu = (minU + maxU) / 2, cv = (minV + maxV) / 2;
      best = {
        center: [cu * axis[0] + cv * normal[0], cu * axis[1] + cv * normal[1]],
        axis,
        width: maxU - minU,
        height: maxV - minV,
      };
    }
  }
  return canonical(best!);
}

function edgeDirection(a: Point, b: Point): Point | undefined {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const len = Math.hypot(dx, dy);
  return len > 0 ? [dx / len, dy / len] : undefined;
}

/** Picks the axis closest to horizontal (pointing right) so width/height mean what they say. */
function canonical(rect: RotatedRect): RotatedRect {
  let { axis, width, height } = rect;
  if (Math.abs(axis[1]) > Math.abs(axis[0])) {
    axis = [axis[1], -axis[0]];
    [width, height] = [height, width];
  }
  if (axis[0] < 0) axis = [-axis[0], -axis[1]];
  return { center: rect.center, axis, width, height };
}

/** Grows the rectangle by `distance` on every side (a rectangle offset outwards, as PaddleOCR's unclip). */
export function expandRect(rect: RotatedRect, distance: number): RotatedRect {
  return { ...rect, width: rect.width + 2 * distance, height: rect.height + 2 * distance };
}

export function rectToQuad({ center: [cx, cy], axis: [ax, ay], width, height }: RotatedRect): Quad {
  const hw = width / 2, hh = height / 2;
  // Normal pointing down (image y axis) when the axis points right.
  const nx = -ay, ny = ax;
  const corner = (su: number, sv: number): Point => [cx + su * hw * ax + sv * hh * nx, cy + su * hw * ay + sv * hh * ny];
  return [corner(-1, -1), corner(1, -1), corner(1, 1), corner(-1, 1)];
}

export function quadBounds(quad: readonly Point[]): AxisBox {
  const xs = quad.map((p) => p[0]), ys = quad.map((p) => p[1]);
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}

export function boxToQuad({ x0, y0, x1, y1 }: AxisBox): Quad {
  return [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
}

export const distance = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1]);

/** Moves the quad's sides outwards by `alongX` (left and right) and `alongY` (top and bottom), in its own axes. */
export function padQuad(quad: Quad, alongX: number, alongY: number): Quad {
  const [p0, p1, , p3] = quad;
  const ux = unit(p0, p1), uy = unit(p0, p3);
  const shift = (p: Point, sx: number, sy: number): Point => [
    p[0] + sx * alongX * ux[0] + sy * alongY * uy[0],
    p[1] + sx * alongX * ux[1] + sy * alongY * uy[1],
  ];
  return [shift(quad[0], -1, -1), shift(quad[1], 1, -1), shift(quad[2], 1, 1), shift(quad[3], -1, 1)];
}

function unit(a: Point, b: Point): Point {
  const len = distance(a, b);
  return len > 0 ? [(b[0] - a[0]) / len, (b[1] - a[1]) / len] : [0, 0];
}
