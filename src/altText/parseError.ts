/** A document Loupe cannot parse (only MDX can fail: JSX and expressions must be valid). */
export class DocumentParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}:${column}: cannot parse: ${reason}`);
    this.name = 'DocumentParseError';
  }
}
