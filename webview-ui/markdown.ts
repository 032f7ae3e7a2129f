/**
 * Model output is untrusted: it is rendered as Markdown with raw HTML off, then sanitized. Nothing
 * in an answer can load a remote resource or navigate: images survive only as data: URLs (else
 * their alt text is shown), links lose their href and are opened only through the host, which asks.
 */
import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';

const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });

const renderImage = markdown.renderer.rules.image!;
markdown.renderer.rules.image = (tokens, index, options, env, self) => {
  const src = String(tokens[index]!.attrGet('src') ?? '');
  if (/^data:image\//i.test(src)) return renderImage(tokens, index, options, env, self);
  return markdown.utils.escapeHtml(tokens[index]!.content);
};

const purifier = DOMPurify(window);
purifier.addHook('uponSanitizeElement', (node, data) => {
  if (data.tagName !== 'img') return;
  const src = (node as Element).getAttribute('src') ?? '';
  if (!/^data:image\/(png|jpeg|gif|webp);base64,/i.test(src)) node.parentNode?.removeChild(node);
});
purifier.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName !== 'A') return;
  const href = node.getAttribute('href');
  node.removeAttribute('href');
  node.removeAttribute('target');
  if (!href) return;
  // Kept as data: the click handler asks the host, which confirms before opening anything.
  node.setAttribute('data-href', href);
  node.setAttribute('role', 'link');
  node.setAttribute('tabindex', '0');
  node.setAttribute('title', href);
});

/** Sanitized HTML for an answer. */
export function renderAnswer(text: string): string {
  return purifier.sanitize(markdown.render(text), {
    FORBID_ATTR: ['style', 'class', 'id'],
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed', 'svg', 'math'],
    ALLOW_DATA_ATTR: false,
  });
}

/** Line breaks as markdown-it counts them (it normalises \r\n and a lone \r to \n). */
const LINE_BREAK = /\r\n?|\n/g;

/**
 * How much of `text`, from its start, is finished top-level blocks that more text cannot change:
 * all of its complete lines before the last block's first one, as markdown-it's own block parser
 * sees them. Rendered apart, that part and the rest give the HTML the whole text gives, except
 * where the text defines link references (see mayDefineReferences).
 */
export function settledLength(text: string): number {
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  if (!complete) return 0;
  const tokens: ReturnType<typeof markdown.parse> = [];
  markdown.block.parse(complete.replace(LINE_BREAK, '\n').replace(/\0/g, '\uFFFD'), markdown, {}, tokens);
  const lastStart = tokens.filter((token) => token.level === 0 && token.nesting !== -1 && token.map).at(-1)?.map![0];
  return lastStart ? offsetOfLine(complete, lastStart) : 0;
}

/** Where 0-based line `line` of `text` starts. */
function offsetOfLine(text: string, line: number): number {
  LINE_BREAK.lastIndex = 0;
  let offset = 0;
  for (let i = 0; i < line && LINE_BREAK.exec(text); i++) offset = LINE_BREAK.lastIndex;
  return offset;
}

/** A link reference definition (`[label]: url` at a line's start) reaches back to links in earlier blocks. */
export function mayDefineReferences(text: string): boolean {
  return /^ {0,3}\[[^\]\n]*\]:/m.test(text);
}
