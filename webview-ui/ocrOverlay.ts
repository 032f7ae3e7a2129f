/**
 * Draws recognised OCR lines over the image preview: one focusable box per line, placed in
 * percentages of the image so it follows the preview's size. Hover or focus shows the text (a CSS
 * label from `data-text`); click or Enter copies it.
 */
import type { OcrLine, OcrResult } from '../src/protocol/engine';

export interface PercentRect {
  left: number;
  top: number;
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

export function renderOcrOverlay(overlay: HTMLElement, result: OcrResult | undefined, onCopy: (text: string) => void): void {
  overlay.replaceChildren();
  overlay.hidden = !result || result.lines.length === 0;
  if (!result) return;
  for (const line of result.lines) {
    const rect = lineRect(line, result.width, result.height);
    const box = document.createElement('button');
    box.type = 'button';
    box.className = 'ocr-box';
    box.setAttribute('aria-label', `Recognised text: ${line.text}. Press Enter to copy.`);
    box.dataset.text = line.text;
    // CSSOM assignments are allowed by the CSP (unlike style attributes in markup).
    box.style.left = `${rect.left}%`;
    box.style.top = `${rect.top}%`;
    box.style.width = `${rect.width}%`;
    box.style.height = `${rect.height}%`;
    box.addEventListener('click', () => onCopy(line.text));
    overlay.append(box);
  }
}
