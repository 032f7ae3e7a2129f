/**
 * The documents Loupe checks for alt text, in one table: the editor's diagnostics and quick
 * fixes, the workspace batch, `loupe alt-text check|fix` and the activation shell all read it,
 * so none of them flags or fixes a file another never shows. Plain .js/.ts files are left out:
 * few hold JSX images, and parsing every script of a project would cost more than it finds.
 */
export type DocumentKind = 'markdown' | 'mdx' | 'html' | 'jsx';
export type JsxFlavour = 'jsx' | 'tsx';

export interface DocumentKindEntry {
  kind: DocumentKind;
  jsxFlavour?: JsxFlavour;
  /** VS Code language ids of such documents. */
  languageIds: readonly string[];
  /** File extensions, lower case with the dot. */
  extensions: readonly string[];
}

export const DOCUMENT_KINDS: readonly DocumentKindEntry[] = [
  { kind: 'markdown', languageIds: ['markdown'], extensions: ['.md', '.markdown'] },
  { kind: 'mdx', languageIds: ['mdx'], extensions: ['.mdx'] },
  { kind: 'html', languageIds: ['html'], extensions: ['.html', '.htm'] },
  { kind: 'jsx', jsxFlavour: 'jsx', languageIds: ['javascriptreact'], extensions: ['.jsx'] },
  { kind: 'jsx', jsxFlavour: 'tsx', languageIds: ['typescriptreact'], extensions: ['.tsx'] },
];

export const ALT_TEXT_LANGUAGE_IDS: readonly string[] = DOCUMENT_KINDS.flatMap((entry) => entry.languageIds);
export const ALT_TEXT_EXTENSIONS: readonly string[] = DOCUMENT_KINDS.flatMap((entry) => entry.extensions);
/** Every such file below a folder: the CLI's folder walk, the workspace batch and the editor's selector use it. */
export const ALT_TEXT_DOCUMENT_GLOB = `**/*.{${ALT_TEXT_EXTENSIONS.map((extension) => extension.slice(1)).join(',')}}`;

/** The table entry for a file name, by extension. */
export function documentKindOfFile(fileName: string): DocumentKindEntry | undefined {
  const lower = fileName.toLowerCase();
  return DOCUMENT_KINDS.find((entry) => entry.extensions.some((extension) => lower.endsWith(extension)));
}

/**
 * The entry for an open document. VS Code opens `.mdx` as plain text when no MDX extension is
 * installed, so a plain-text document is judged by its file name.
 */
export function documentKindOfDocument(languageId: string, fileName: string): DocumentKindEntry | undefined {
  const byLanguage = DOCUMENT_KINDS.find((entry) => entry.languageIds.includes(languageId));
  if (byLanguage) return byLanguage;
  return languageId === 'plaintext' ? documentKindOfFile(fileName) : undefined;
}

/**
 * The language id a document is checked as (what `loupe.altText.diagnostics.disabledLanguages`
 * names): its own, or for a plain-text file the table's ('mdx' for a plain-text `.mdx`).
 */
export function checkedLanguageId(languageId: string, fileName: string): string | undefined {
  const entry = documentKindOfDocument(languageId, fileName);
  if (!entry) return undefined;
  return entry.languageIds.includes(languageId) ? languageId : entry.languageIds[0];
}

export function isAltTextDocument(languageId: string, fileName: string): boolean {
  return documentKindOfDocument(languageId, fileName) !== undefined;
}
