import type { SourcePoint, SourceSpan } from './findings';

/**
 * Offsets to 1-based line/column. Every scanner reports offsets and converts them here, so all
 * syntaxes count the same way VS Code does: UTF-16 code units, lines split at \r\n, \n and \r.
 */
export class LineIndex {
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 13 /* \r */ && text.charCodeAt(i + 1) === 10) i++;
      if (code === 10 || code === 13) this.lineStarts.push(i + 1);
    }
  }

  point(offset: number): SourcePoint {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return { offset, line: low + 1, column: offset - this.lineStarts[low] + 1 };
  }

  span(start: number, end: number): SourceSpan {
    return { start: this.point(start), end: this.point(end) };
  }

  /** Offset where 1-based `line` starts. */
  lineStart(line: number): number {
    return this.lineStarts[Math.min(Math.max(line, 1), this.lineStarts.length) - 1];
  }

  /** Offset of the end of 1-based `line`, before its line break. */
  lineEnd(line: number): number {
    if (line >= this.lineStarts.length) return this.text.length;
    let end = this.lineStarts[line];
    if (this.text.charCodeAt(end - 1) === 10) end--;
    if (this.text.charCodeAt(end - 1) === 13) end--;
    return end;
  }
}
