/**
 * "Select region": a rectangle over the image preview that the next questions are about. The
 * mouse draws it by dragging over the image; the keyboard moves it with the arrow keys and
 * resizes it with Shift+arrows; Enter asks, Escape goes back to the whole image. The region is
 * kept in image pixels (the engine crops it at its own resolution and maps boxes back).
 */
import type { Region } from '../src/protocol/engine';

interface Size {
  width: number;
  height: number;
}

/** Smallest side a region keeps: below it a crop says nothing. */
const MIN_SIDE = 8;
/** A key press moves or resizes by this share of the image's side (at least a pixel). */
const STEP_SHARE = 0.02;

/** Where "Select region" starts: the middle half of the image. */
export function initialRegion({ width, height }: Size): Region {
  return clampRegion({ x: Math.round(width / 4), y: Math.round(height / 4), width: Math.round(width / 2), height: Math.round(height / 2) }, { width, height });
}

/** The region within the image, each side at least MIN_SIDE (or the image's side, if smaller). */
export function clampRegion(region: Region, size: Size): Region {
  const width = Math.min(Math.max(Math.round(region.width), Math.min(MIN_SIDE, size.width)), size.width);
  const height = Math.min(Math.max(Math.round(region.height), Math.min(MIN_SIDE, size.height)), size.height);
  const x = Math.min(Math.max(Math.round(region.x), 0), size.width - width);
  const y = Math.min(Math.max(Math.round(region.y), 0), size.height - height);
  return { x, y, width, height };
}

const DIRECTIONS: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

/** The region after an arrow key: moved, or with Shift resized (right and down grow it); undefined for other keys. */
export function nudgeRegion(region: Region, key: string, resize: boolean, size: Size): Region | undefined {
  const direction = DIRECTIONS[key];
  if (!direction) return undefined;
  const dx = direction[0] * Math.max(1, Math.round(size.width * STEP_SHARE));
  const dy = direction[1] * Math.max(1, Math.round(size.height * STEP_SHARE));
  const next = resize ? { ...region, width: region.width + dx, height: region.height + dy } : { ...region, x: region.x + dx, y: region.y + dy };
  return clampRegion(next, size);
}

/** The rectangle two points span (a drag, in image pixels), each point first kept inside the image. */
export function regionBetween(a: { x: number; y: number }, b: { x: number; y: number }, size: Size): Region {
  const inside = ({ x, y }: { x: number; y: number }) => ({ x: Math.min(Math.max(x, 0), size.width), y: Math.min(Math.max(y, 0), size.height) });
  const [p, q] = [inside(a), inside(b)];
  return clampRegion({ x: Math.min(p.x, q.x), y: Math.min(p.y, q.y), width: Math.abs(p.x - q.x), height: Math.abs(p.y - q.y) }, size);
}

/** How the region is said: to the user, in turns, and to a screen reader. */
export function describeRegion(region: Region): string {
  return `region ${region.x}, ${region.y}, ${region.width} × ${region.height} px`;
}

export interface RegionSelectorHooks {
  /** The image's size in pixels, once it is known. */
  size(): Size | undefined;
  region(): Region | undefined;
  /** `byKeyboard`: the new place is said to a screen reader (a drag is seen, and would say too much). */
  change(region: Region | undefined, byKeyboard: boolean): void;
  /** Enter on the rectangle. */
  ask(): void;
}

/** Wires the rectangle's keyboard and the frame's mouse drag. */
export function setupRegionSelector(frame: HTMLElement, box: HTMLElement, hooks: RegionSelectorHooks): void {
  box.addEventListener('keydown', (event) => {
    const region = hooks.region();
    const size = hooks.size();
    if (!region || !size) return;
    if (event.key === 'Enter') {
      event.preventDefault();
      return hooks.ask();
    }
    if (event.key === 'Escape') {
      // Not also Stop (the page's Escape): this Escape belongs to the rectangle.
      event.stopPropagation();
      return hooks.change(undefined, true);
    }
    // Alt+Left is Go Back, Ctrl/Cmd+arrows move the editor: those stay VS Code's.
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const next = nudgeRegion(region, event.key, event.shiftKey, size);
    if (!next) return;
    event.preventDefault();
    hooks.change(next, true);
  });
  frame.addEventListener('pointerdown', (event) => {
    const size = hooks.size();
    if (!hooks.region() || !size || event.button !== 0) return;
    event.preventDefault();
    const start = toImage(frame, event, size);
    frame.setPointerCapture(event.pointerId);
    const drag = new AbortController();
    frame.addEventListener(
      'pointermove',
      (moved) => {
        const end = toImage(frame, moved, size);
        // A click without a drag leaves the region where it is.
        if (Math.abs(end.x - start.x) >= 2 || Math.abs(end.y - start.y) >= 2) hooks.change(regionBetween(start, end, size), false);
      },
      { signal: drag.signal },
    );
    const finish = () => {
      drag.abort();
      box.focus();
    };
    frame.addEventListener('pointerup', finish, { signal: drag.signal });
    frame.addEventListener('pointercancel', finish, { signal: drag.signal });
  });
}

function toImage(frame: HTMLElement, event: PointerEvent, size: Size): { x: number; y: number } {
  const rect = frame.getBoundingClientRect();
  return { x: ((event.clientX - rect.left) / rect.width) * size.width, y: ((event.clientY - rect.top) / rect.height) * size.height };
}

/** Places the rectangle over the preview in percentages of the image, and names it for a screen reader. */
export function renderRegionBox(box: HTMLElement, region: Region | undefined, size: Size | undefined): void {
  box.hidden = !region || !size;
  if (!region || !size) return;
  box.style.left = `${(region.x / size.width) * 100}%`;
  box.style.top = `${(region.y / size.height) * 100}%`;
  box.style.width = `${(region.width / size.width) * 100}%`;
  box.style.height = `${(region.height / size.height) * 100}%`;
  box.dataset.region = `${region.x},${region.y},${region.width},${region.height}`;
  box.setAttribute(
    'aria-label',
    `Questions are about the ${describeRegion(region)} of ${size.width} × ${size.height}. Arrow keys move it, Shift+arrow keys resize it, Enter asks, Escape goes back to the whole image.`,
  );
}
