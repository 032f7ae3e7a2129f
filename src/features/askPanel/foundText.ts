/**
 * Find's answer as the panel shows and inserts it: a count, then one numbered line per box (the
 * numbers the overlay draws), in pixels of the image. Labels are the model's words: escaped so
 * they stay plain text in the answer and in any Markdown they are inserted into.
 */
import { escapeMarkdownAlt } from '../../altText/altEscaping';
import { FIND_PROBLEM_TEXT, type FindResult } from '../../protocol/findBoxes';

export function foundAsMarkdown(result: FindResult, answer: string, stopped = false): string {
  const lines = [`**${result.boxes.length} found**`];
  if (result.boxes.length > 0) {
    const size = result.image ? ` of the ${result.image.width}×${result.image.height} image` : '';
    lines.push('', `Boxes in pixels${size} (left, top, width × height):`, '');
    result.boxes.forEach((box, index) => lines.push(`${index + 1}. ${escapeMarkdownAlt(box.label) || '(no label)'}: ${box.x}, ${box.y}, ${box.width} × ${box.height}`));
  }
  if (!result.problem) return lines.join('\n');
  // A cut list's last words are the limit's, not the model's: not shown as its answer.
  if (result.problem === 'cut-short' && stopped) return [...lines, '', 'Stopped before the list ended: there may be more.'].join('\n');
  if (result.problem === 'cut-short') return [...lines, '', 'The answer was cut before the list ended: there may be more (a preset with longer answers helps).'].join('\n');
  return [...lines, '', `No boxes: ${FIND_PROBLEM_TEXT[result.problem]}. The model answered:`, '', fenced(answer)].join('\n');
}

/** The model's words as a code block no line of theirs can close. */
function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map(([run]) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}\n${text}\n${fence}`;
}
