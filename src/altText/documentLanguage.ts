/**
 * The language a document declares for itself, so alt text matches the prose around it: HTML's
 * `<html lang>`, or `lang:`/`language:` in Markdown/MDX front matter. Undefined when it says none.
 */
export function declaredDocumentLanguage(text: string): string | undefined {
  const html = /<html\b[^>]*\blang\s*=\s*["']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)/i.exec(text.slice(0, 4096));
  if (html) return html[1];
  const frontMatter = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/.exec(text);
  const declared = frontMatter && /^(?:lang|language|locale)\s*:\s*["']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)["']?\s*$/m.exec(frontMatter[1]);
  return declared ? declared[1].replace('_', '-') : undefined;
}

/**
 * The language alt text is written in, the same rule for the CLI and the editor: the one asked
 * for (`--language`, `loupe.altText.language`), else the document's own, else `fallback` (the
 * editor's display language; the engine's default when undefined).
 */
export function altTextLanguage(configured: string | undefined, documentText: string, fallback?: string): string | undefined {
  return configured?.trim() || declaredDocumentLanguage(documentText) || fallback;
}
