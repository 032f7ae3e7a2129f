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
