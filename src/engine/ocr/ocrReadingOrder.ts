/**
 * Reading order for recognised text boxes: a recursive XY-cut. A region is split into side-by-side
 * columns where a vertical strip of whitespace separates two groups that sit next to each other
 * but whose lines do not line up (sidebar | content); otherwise it is split top-to-bottom at the
 * widest horizontal strip of whitespace. Boxes that share a row (form label and value, table cells,
 * menu items) end up in one line, left to right. Wide vertical gaps and column changes start a
 * new block.
 */
import type { OcrLine } from '../../protocol/engine';
import { boxToQuad, quadBounds, type AxisBox, type Quad } from './ocrGeometry';

export interface RecognizedBox {
  quad: Quad;
  text: string;
  confidence: number;
}

/** A box with the vertical middle used for layout (x0..y1) and its full extent (`bounds`). */
interface Segment extends RecognizedBox, AxisBox {
  bounds: AxisBox;
}

interface Row {
  segments: Segment[];
  block: number;
}

/** Side-by-side groups count as one table (read row by row) when this share of their boxes pair up. */
const ALIGNED_SHARE = 0.5;
/** Groups must overlap vertically by this share of the shorter one to be columns rather than stacked. */
const COLUMN_OVERLAP = 0.5;
/** Column gutters at least this many line heights wide. */
const MIN_COLUMN_GAP = 1;
/** Columns start within this many line heights of each other. */
const COLUMN_TOP_SLACK = 1;
/** Successive lines have at least this many line heights of space between their boxes' middles. */
const MIN_ROW_GAP = 0.3;
/**
 * Vertical gaps wider than this many line heights are cut one at a time, widest first, so the
 * parts can still be found to hold columns; narrower ones are line spacing.
 */
const SPLIT_GAP = 1.5;
/** Gaps wider than this many line heights start a new block (list items and form rows stay together). */
const BLOCK_GAP = 2;
/** Share of a box's height, around its middle, used for layout. */
const CORE_SHARE = 0.5;
/** A banner row is set apart by at least this many line heights ... */
const BANNER_GAP = 2.5;
/** ... and spans at least this share of the region's width. */
const BANNER_WIDTH = 0.6;
/** Boxes further apart than this many line heights on one row are joined with two spaces. */
const WIDE_GAP = 1.5;

export function arrangeLines(boxes: RecognizedBox[]): { lines: OcrLine[]; text: string } {
  if (boxes.length === 0) return { lines: [], text: '' };
  const segments: Segment[] = boxes.map((b) => layoutBox(b));
  const lineHeight = median(segments.map((s) => height(s) / CORE_SHARE));
  const rows: Row[] = [];
  const state = { block: 0, pendingBreak: false };
  const emit = (segs: Segment[]) => {
    if (state.pendingBreak && rows.length) state.block++;
    state.pendingBreak = false;
    rows.push({ segments: [...segs].sort((a, b) => a.x0 - b.x0), block: state.block });
  };
  const blockBreak = () => {
    state.pendingBreak = true;
  };

  const cut = (region: Segment[]): void => {
    if (region.length === 1 || isOneRow(region)) return emit(region);
    const banner = bannerSplit(region, lineHeight);
    if (banner) {
      cut(banner[0]);
      blockBreak();
      cut(banner[1]);
      return;
    }
    const columns = columnSplit(region, lineHeight);
    if (columns) {
      cut(columns[0]);
      blockBreak();
      cut(columns[1]);
      return;
    }
    const band = widestGap(region, 'y');
    if (band && band.size > SPLIT_GAP * lineHeight) {
      const [top, bottom] = splitAt(region, 'y', band.at);
      cut(top);
      if (band.size > BLOCK_GAP * lineHeight) blockBreak();
      cut(bottom);
      return;
    }
    if (band && band.size >= MIN_ROW_GAP * lineHeight) {
      // Only line spacing left (a paragraph, a list): take all the lines at once.
      for (const line of horizontalBands(region, MIN_ROW_GAP * lineHeight)) cut(line.segments);
      return;
    }
    // Boxes at staggered heights with no clear line between them (labels around a diagram's
    // boxes and arrows): read them left to right.
    const gap = widestGap(region, 'x');
    if (gap) {
      const [left, right] = splitAt(region, 'x', gap.at);
      cut(left);
      cut(right);
      return;
    }
    emit(region);
  };
  cut(segments);

  const lines = rows.map((row) => toLine(row, lineHeight));
  let text = '';
  lines.forEach((line, i) => {
    if (i > 0) text += line.block !== lines[i - 1].block ? '\n\n' : '\n';
    text += line.text;
  });
  return { lines, text };
}

function toLine({ segments, block }: Row, lineHeight: number): OcrLine {
  let text = segments[0].text;
  for (let i = 1; i < segments.length; i++) {
    const gap = segments[i].x0 - segments[i - 1].x1;
    text += (gap > WIDE_GAP * lineHeight ? '  ' : ' ') + segments[i].text;
  }
  const chars = segments.reduce((n, s) => n + s.text.length, 0);
  const confidence = segments.reduce((sum, s) => sum + s.confidence * s.text.length, 0) / chars;
  const box =
    segments.length === 1
      ? segments[0].quad
      : boxToQuad({
          x0: Math.min(...segments.map((s) => s.bounds.x0)),
          y0: Math.min(...segments.map((s) => s.bounds.y0)),
          x1: Math.max(...segments.map((s) => s.bounds.x1)),
          y1: Math.max(...segments.map((s) => s.bounds.y1)),
        });
  return { text, confidence, box: box.map(([x, y]) => [round1(x), round1(y)]) as Quad, block };
}

/**
 * Boxes carry padding (detection grows them, and tight line spacing makes neighbours overlap),
 * so layout decisions use the middle of each box vertically.
 */
function layoutBox(box: RecognizedBox): Segment {
  const bounds = quadBounds(box.quad);
  const middle = (bounds.y0 + bounds.y1) / 2, half = (CORE_SHARE * (bounds.y1 - bounds.y0)) / 2;
  return { ...box, bounds, x0: bounds.x0, x1: bounds.x1, y0: middle - half, y1: middle + half };
}

/**
 * A single wide row set apart by a clear gap at the top or bottom of a region (title bar, menu,
 * status bar) is read on its own before the columns below or above it.
 */
function bannerSplit(region: Segment[], lineHeight: number): [Segment[], Segment[]] | undefined {
  const bands = horizontalBands(region);
  if (bands.length < 2) return undefined;
  const whole = extent(region);
  const isBanner = (band: Segment[], gap: number) => {
    const { x0, x1 } = extent(band);
    return gap >= BANNER_GAP * lineHeight && x1 - x0 >= BANNER_WIDTH * (whole.x1 - whole.x0) && isOneRow(band);
  };
  const first = bands[0], last = bands[bands.length - 1];
  if (isBanner(first.segments, first.gapAfter)) return [first.segments, region.filter((s) => !first.segments.includes(s))];
  if (isBanner(last.segments, bands[bands.length - 2].gapAfter)) {
    return [region.filter((s) => !last.segments.includes(s)), last.segments];
  }
  return undefined;
}

/** The region cut at every horizontal strip of whitespace at least `minGap` high, top to bottom. */
function horizontalBands(region: Segment[], minGap = 0): { segments: Segment[]; gapAfter: number }[] {
  const sorted = [...region].sort((a, b) => a.y0 - b.y0);
  const bands = [{ segments: [sorted[0]], gapAfter: 0 }];
  let reach = sorted[0].y1;
  for (const segment of sorted.slice(1)) {
    if (segment.y0 > reach && segment.y0 - reach >= minGap) {
      bands[bands.length - 1].gapAfter = segment.y0 - reach;
      bands.push({ segments: [], gapAfter: 0 });
    }
    bands[bands.length - 1].segments.push(segment);
    reach = Math.max(reach, segment.y1);
  }
  return bands;
}

/** All boxes share a horizontal band at least half as tall as the shortest of them. */
function isOneRow(region: Segment[]): boolean {
  const top = Math.max(...region.map((s) => s.y0));
  const bottom = Math.min(...region.map((s) => s.y1));
  return bottom - top >= 0.5 * Math.min(...region.map(height));
}

/**
 * Splits at the widest vertical gutter if the two sides are columns: side by side, starting at
 * about the same height (whatever sticks out above is a heading, read first), and with lines
 * that mostly do not pair up across the gutter (if they do, it is a table or form: read rows).
 */
function columnSplit(region: Segment[], lineHeight: number): [Segment[], Segment[]] | undefined {
  const gutter = widestGap(region, 'x');
  if (!gutter || gutter.size < MIN_COLUMN_GAP * lineHeight) return undefined;
  const [left, right] = splitAt(region, 'x', gutter.at);
  const l = extent(left), r = extent(right);
  if (Math.abs(l.y0 - r.y0) > COLUMN_TOP_SLACK * lineHeight) return undefined;
  const overlap = Math.min(l.y1, r.y1) - Math.max(l.y0, r.y0);
  if (overlap < COLUMN_OVERLAP * Math.min(l.y1 - l.y0, r.y1 - r.y0)) return undefined;
  const pairs = countWithRowPartner(left, right) + countWithRowPartner(right, left);
  return pairs / (left.length + right.length) < ALIGNED_SHARE ? [left, right] : undefined;
}

/** How many of `segments` share a row with some box of `others` (sorted sweep, not all pairs). */
function countWithRowPartner(segments: Segment[], others: Segment[]): number {
  const sorted = [...others].sort((a, b) => a.y0 - b.y0);
  const tallest = Math.max(...others.map(height));
  let count = 0;
  for (const segment of segments) {
    // Candidates start above the segment's bottom and no more than the tallest box above its top.
    let i = lowerBound(sorted, segment.y1);
    while (--i >= 0 && sorted[i].y0 > segment.y0 - tallest) {
      if (sameRow(segment, sorted[i])) {
        count++;
        break;
      }
    }
  }
  return count;
}

/** Index of the first box whose top is at or below y. */
function lowerBound(sorted: Segment[], y: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].y0 < y) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sameRow(a: Segment, b: Segment): boolean {
  const overlap = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  return overlap >= 0.5 * Math.min(height(a), height(b));
}

/** The widest strip along `axis` that no box crosses, if any. */
function widestGap(region: Segment[], axis: 'x' | 'y'): { at: number; size: number } | undefined {
  const lo = axis === 'x' ? 'x0' : 'y0', hi = axis === 'x' ? 'x1' : 'y1';
  const sorted = [...region].sort((a, b) => a[lo] - b[lo]);
  let reach = sorted[0][hi];
  let best: { at: number; size: number } | undefined;
  for (let i = 1; i < sorted.length; i++) {
    const gap = sorted[i][lo] - reach;
    if (gap > 0 && (!best || gap > best.size)) best = { at: reach + gap / 2, size: gap };
    reach = Math.max(reach, sorted[i][hi]);
  }
  return best;
}

function splitAt(region: Segment[], axis: 'x' | 'y', at: number): [Segment[], Segment[]] {
  const lo = axis === 'x' ? 'x0' : 'y0';
  return [region.filter((s) => s[lo] < at), region.filter((s) => s[lo] >= at)];
}

function extent(region: Segment[]): AxisBox {
  return {
    x0: Math.min(...region.map((s) => s.x0)),
    y0: Math.min(...region.map((s) => s.y0)),
    x1: Math.max(...region.map((s) => s.x1)),
    y1: Math.max(...region.map((s) => s.y1)),
  };
}

const height = (s: AxisBox) => s.y1 - s.y0;
const round1 = (v: number) => Math.round(v * 10) / 10;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
