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
