/**
 * Draws boxes over the image preview: OCR's recognised lines, the things Find found (numbered
 * as the answer lists them), or where two compared images differ (over each of them). One focusable box each, placed in percentages of the image so it
 * follows the preview's size. Hover or focus shows its text (a CSS label from `data-text`); click
 * or Enter copies it; the arrow keys, Home and End move between boxes.
 */
import type { OcrLine, OcrResult, Region } from '../src/protocol/engine';
import type { FindResult } from '../src/protocol/findBoxes';

export interface PercentRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

interface ImageSize {
  width: number;
  height: number;
}

/** The axis-aligned bounding box of a line's four corners, in percent of the image, clamped to it. */
export function lineRect(line: Pick<OcrLine, 'box'>, imageWidth: number, imageHeight: number): PercentRect {
  const xs = line.box.map(([x]) => Math.min(Math.max(x, 0), imageWidth));
  const ys = line.box.map(([, y]) => Math.min(Math.max(y, 0), imageHeight));
  const left = Math.min(...xs);
  const top = Math.min(...ys);
  return {
    left: (left / imageWidth) * 100,
    top: (top / imageHeight) * 100,
    width: ((Math.max(...xs) - left) / imageWidth) * 100,
    height: ((Math.max(...ys) - top) / imageHeight) * 100,
  };
}

/** What the overlay shows: OCR's lines, Find's boxes or changed regions, each in the size they are in. */
export type OverlayContent =
  | { kind: 'ocr'; result: OcrResult }
  | { kind: 'found'; result: FindResult; size: ImageSize }
  | { kind: 'changes'; boxes: Region[]; size: ImageSize };

interface OverlayBox {
  rect: PercentRect;
  className: string;
  /** Shown on hover and focus. */
  text: string;
  /** Copied on click or Enter. */
  copy: string;
  label: string;
}

function ocrBoxes(result: OcrResult): OverlayBox[] {
  return result.lines.map((line) => ({
    rect: lineRect(line, result.width, result.height),
    className: 'ocr-box',
    text: line.text,
    copy: line.text,
    label: `Recognised text: ${line.text}. Press Enter to copy.`,
  }));
}

/** Percentages of the image, the part outside it cut off (a changed region can reach past a smaller image). */
function percentRect(box: Region, { width, height }: ImageSize): PercentRect {
  const left = Math.min(box.x, width);
  const top = Math.min(box.y, height);
  const right = Math.min(box.x + box.width, width);
  const bottom = Math.min(box.y + box.height, height);
  return { left: (left / width) * 100, top: (top / height) * 100, width: ((right - left) / width) * 100, height: ((bottom - top) / height) * 100 };
}

/** Changed regions over one of the two images; one that lies wholly outside this image (a larger second) is left out. */
function changeBoxes(boxes: Region[], size: ImageSize): OverlayBox[] {
  return boxes.flatMap((box, index) => {
    const rect = percentRect(box, size);
    if (rect.width <= 0 || rect.height <= 0) return [];
    const where = `${box.x}, ${box.y}, ${box.width} × ${box.height}`;
    return [
      {
        rect,
        className: 'change-box',
        text: `Changed ${index + 1}: ${where}`,
        copy: where,
        label: `Changed region ${index + 1} of ${boxes.length}, at ${box.x}, ${box.y}, ${box.width} by ${box.height} pixels. Press Enter to copy.`,
      },
    ];
  });
}

function foundBoxes(result: FindResult, { width, height }: ImageSize): OverlayBox[] {
  return result.boxes.map((box, index) => {
    const text = `${index + 1}. ${box.label || '(no label)'}`;
    return {
      rect: { left: (box.x / width) * 100, top: (box.y / height) * 100, width: (box.width / width) * 100, height: (box.height / height) * 100 },
      className: 'found-box',
      text,
      copy: `${box.label}: ${box.x}, ${box.y}, ${box.width} × ${box.height}`,
      label: `Found ${index + 1} of ${result.boxes.length}: ${box.label || 'no label'}, at ${box.x}, ${box.y}, ${box.width} by ${box.height} pixels. Press Enter to copy.`,
    };
  });
}

export function renderBoxOverlay(overlay: HTMLElement, content: OverlayContent | undefined, onCopy: (text: string) => void): void {
  const boxes = !content ? [] : content.kind === 'ocr' ? ocrBoxes(content.result) : content.kind === 'found' ? foundBoxes(content.result, content.size) : changeBoxes(content.boxes, content.size);
  overlay.replaceChildren();
  overlay.hidden = boxes.length === 0;
  overlay.onkeydown = (event) => moveFocus(overlay, event);
  for (const [index, item] of boxes.entries()) {
    const box = document.createElement('button');
    box.type = 'button';
    box.className = item.className;
    box.setAttribute('aria-label', item.label);
    box.dataset.text = item.text;
    box.dataset.index = String(index + 1);
    // CSSOM assignments are allowed by the CSP (unlike style attributes in markup).
    box.style.left = `${item.rect.left}%`;
    box.style.top = `${item.rect.top}%`;
    box.style.width = `${item.rect.width}%`;
    box.style.height = `${item.rect.height}%`;
    box.addEventListener('click', () => onCopy(item.copy));
    overlay.append(box);
  }
}

const STEPS: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };

/** Arrow keys go to the next or previous box (round), Home and End to the first and last. */
function moveFocus(overlay: HTMLElement, event: KeyboardEvent): void {
  const boxes = [...overlay.querySelectorAll<HTMLButtonElement>('button')];
  const current = boxes.indexOf(document.activeElement as HTMLButtonElement);
  if (current < 0) return;
  const step = STEPS[event.key];
  const next = step !== undefined ? (current + step + boxes.length) % boxes.length : event.key === 'Home' ? 0 : event.key === 'End' ? boxes.length - 1 : undefined;
  if (next === undefined) return;
  event.preventDefault();
  boxes[next]!.focus();
}
