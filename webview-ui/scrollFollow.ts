/**
 * Keeps the newest turn in view, as chat views do. Asking scrolls to the new turn; while the reader
 * follows, anything that grows the page (the answer streaming in, its buttons, an image that
 * finishes loading above) keeps the bottom in view. Scrolling up to read stops following until
 * the reader is back at the bottom or asks again. Growth alone never counts as scrolling away,
 * which measuring "at the bottom?" before each render did: an image loading above pushed the
 * reader off the bottom, and the next answer then appeared out of sight.
 */

/** Within this distance of the end counts as at the bottom. */
const NEAR_BOTTOM_PX = 48;

export interface ScrollFollow {
  /** A new turn began: show it and follow it. */
  follow(): void;
}

export function followNewTurns(content: HTMLElement): ScrollFollow {
  const scroller = document.scrollingElement ?? document.documentElement;
  let following = true;
  let lastTop = scroller.scrollTop;
  const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;
  const toBottom = () => {
    scroller.scrollTop = scroller.scrollHeight;
    lastTop = scroller.scrollTop;
  };
  window.addEventListener(
    'scroll',
    () => {
      const top = scroller.scrollTop;
      // Only the reader moves the page up (content growing below never does); a page that got
      // shorter is clamped to its end, which counts as the bottom.
      if (atBottom()) following = true;
      else if (top < lastTop) following = false;
      lastTop = top;
    },
    { passive: true },
  );
  const keep = () => {
    if (following) toBottom();
  };
  new ResizeObserver(keep).observe(content);
  window.addEventListener('resize', keep);
  return {
    follow() {
      following = true;
      toBottom();
    },
  };
}
