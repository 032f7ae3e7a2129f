/**
 * What an image occurrence is, what counts as missing or poor alt text, and the finding Loupe
 * reports for it. Scanners produce occurrences for every image; only this module decides which
 * of them are findings, so the rules live in one place.
 */
import { isPlaceholderAlt, looksLikeFileName } from '../protocol/altTextWords';
import type { DocumentKind } from '../protocol/documentKinds';

/** The kind of document an image was found in (protocol/documentKinds.ts); it decides how edits are written. */
export type { DocumentKind };
export type Syntax = 'markdown' | 'html' | 'jsx';
export type FindingKind = 'empty' | 'missing' | 'placeholder' | 'filename' | 'stale';

/** A place in a document: UTF-16 offset plus 1-based line and column (as VS Code counts them). */
export interface SourcePoint {
  offset: number;
  line: number;
  column: number;
}

export interface SourceSpan {
  start: SourcePoint;
  end: SourcePoint;
}

/** Where the alt text of one image is written, so edits can target it exactly. */
export type AltTarget =
  | {
      /** Markdown: `value` is the label between `![` and `]`. */
      type: 'markdown-label';
      value: SourceSpan;
      /**
       * Set for collapsed (`![logo][]`) and shortcut (`![logo]`) references, whose label is also
       * the reference: filling the alt must keep it, so the edit writes `![alt][logo]`.
       */
      referenceLabel?: string;
    }
  | {
      /** HTML/JSX: the whole `alt=…` attribute, and the alt text inside its quotes when it has one. */
      type: 'attribute';
      dialect: 'html' | 'jsx';
      attribute: SourceSpan;
      value?: SourceSpan;
    }
  | {
      /** HTML/JSX without an alt attribute: ` alt="…"` goes here (right after the tag name). */
      type: 'insertion';
      dialect: 'html' | 'jsx';
      at: SourcePoint;
    };

/** Where a long "Describe diagram" description can go for this image. */
export type DescribeAnchor =
  | {
      /** Markdown/MDX: a `<details>` block after the block holding the image. */
      type: 'markdown-block';
      after: number;
      /** Container prefix for inserted lines (`> ` in a quote, spaces in a list item). */
      linePrefix: string;
    }
  | {
      /** HTML: a `<p id>` after `after`, referenced from the image by `aria-describedby`. */
      type: 'html-paragraph';
      after: number;
      indent: string;
      describedBy: { type: 'attribute'; start: number; end: number; existing: string } | { type: 'insertion'; at: number };
    };

/** How the alt of an HTML/JSX element is known. Markdown images always have `text`. */
export type AltState = 'text' | 'absent' | 'dynamic';

export interface ImageOccurrence {
  file: string;
  syntax: Syntax;
  documentKind: DocumentKind;
  /** Offsets of the whole construct: from `!` or `<` to the end of the image / start tag. */
  start: SourcePoint;
  end: SourcePoint;
  /** The image reference as written (reference definitions resolved; `{expr}` for JSX expressions). */
  src: string;
  title?: string;
  altState: AltState;
  /** The alt text (decoded) when `altState` is `text`. */
  alt?: string;
  /** `role="presentation"`/`"none"` or `aria-hidden="true"`: deliberately hidden from assistive tech. */
  hidden: boolean;
  altTarget: AltTarget;
  describe?: DescribeAnchor;
}

export interface Finding extends ImageOccurrence {
  kind: FindingKind;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
}

/** The finding kind for one occurrence, or undefined when its alt text is acceptable. */
export function classifyOccurrence(occurrence: ImageOccurrence): Exclude<FindingKind, 'stale'> | undefined {
  if (occurrence.syntax === 'markdown') {
    const alt = occurrence.alt ?? '';
    if (alt.trim() === '') return 'empty';
    return qualityKind(alt);
  }
  // HTML/JSX: the author can say "decorative" explicitly, so only absence is "missing".
  if (occurrence.hidden || occurrence.altState === 'dynamic') return undefined;
  if (occurrence.altState === 'absent') return 'missing';
  const alt = occurrence.alt ?? '';
  if (alt === '') return undefined;
  return qualityKind(alt);
}

function qualityKind(alt: string): 'placeholder' | 'filename' | undefined {
  if (isPlaceholderAlt(alt)) return 'placeholder';
  if (looksLikeFileName(alt)) return 'filename';
  return undefined;
}

export function findingMessage(kind: FindingKind, occurrence: Pick<ImageOccurrence, 'src' | 'alt'>): string {
  const image = occurrence.src ? `"${occurrence.src}"` : 'this image';
  switch (kind) {
    case 'empty':
      // Markdown cannot mark an image decorative (`![](x)` reads as a forgotten alt): say what the fix does.
      return `Image ${image} has empty alt text: describe what it shows. If it is decorative, the "Mark as decorative" fix writes it as <img alt=""> (Markdown has no decorative image syntax).`;
    case 'missing':
      return `Image ${image} has no alt attribute: describe what it shows, or add alt="" if it is decorative.`;
    case 'placeholder':
      return `Alt text "${occurrence.alt?.trim()}" of image ${image} is a placeholder: describe what the image shows.`;
    case 'filename':
      return `Alt text "${occurrence.alt?.trim()}" of image ${image} is a file name: describe what the image shows.`;
    case 'stale':
      return `Image ${image} changed since Loupe wrote its alt text "${occurrence.alt?.trim()}": check that it still fits.`;
  }
}

export function toFinding(occurrence: ImageOccurrence, kind: FindingKind): Finding {
  return {
    ...occurrence,
    kind,
    line: occurrence.start.line,
    column: occurrence.start.column,
    endLine: occurrence.end.line,
    endColumn: occurrence.end.column,
    message: findingMessage(kind, occurrence),
  };
}

/** Findings for the occurrences whose alt text is missing or poor, in document order. */
export function findingsFor(occurrences: readonly ImageOccurrence[]): Finding[] {
  const findings: Finding[] = [];
  for (const occurrence of occurrences) {
    const kind = classifyOccurrence(occurrence);
    if (kind) findings.push(toFinding(occurrence, kind));
  }
  return findings;
}
