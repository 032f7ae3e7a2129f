/**
 * Every prompt Loupe sends lives here. Messages are rendered by the model's own chat template
 * (tokenizer_config.json), never by string concatenation, so each model family gets its format.
 * User text in them is neutralised against the model's control tokens where the tokenizer is
 * known (src/engine/vlm/controlTokens.ts, applied by the local VLM; a server applies its own template).
 */
import { formatRegion, type ChatTurn, type Region } from '../protocol/engine';
import type { Task } from '../protocol/tasks';
import { DEFAULT_ALT_MAX_LENGTH } from '../protocol/altTextDefaults';

export interface PromptInput {
  task: Task;
  question: string;
  history: ChatTurn[];
  documentContext?: string;
  language?: string;
  /** OCR lines with coarse positions (src/engine/ocr/ocrGrounding.ts). */
  ocrText?: string;
  altTextMaxLength?: number;
  /** The image is this region of a larger one (the region already cut to the image). */
  crop?: Region & { of: { width: number; height: number } };
  /** A second image follows the first: what changed between them, in the first image's pixels. */
  comparison?: { changes: Region[] };
}

export type ContentPart = { type: 'image' } | { type: 'text'; text: string };
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ContentPart[];
}

const TASK_INSTRUCTIONS: Record<Task, (input: PromptInput) => string> = {
  'explain-screenshot': () =>
    'Explain this screenshot to a software developer: what application or page it shows, its main parts, ' +
    'and any error, warning or unusual state. Quote visible text exactly.',
  'alt-text': (input) =>
    `Write alt text for this image: one sentence of at most ${input.altTextMaxLength ?? DEFAULT_ALT_MAX_LENGTH} characters that ` +
    'says what the image shows and what it is for. Do not begin with "Image of" or "Picture of" and do not ' +
    'mention file names. Reply with the sentence only.',
  'describe-diagram': () =>
    'Describe this diagram for a reader who cannot see it: name each component, say how they are connected ' +
    '(arrow directions, labels on the arrows) and summarise the overall flow. Use a short bulleted list.',
  'chart-to-table': () =>
    'Turn this chart into a Markdown table. Use the axis and legend labels as column headers and give every ' +
    'data point with the exact value shown. Reply with the table only.',
  'extract-text': () => 'Transcribe all text in this image exactly, in reading order.',
  question: () => '',
  // Liquid AI's own grounding prompt, word for word (docs/models.md, "Grounding (Find)"), with what
  // to find in place of its target; the last sentence lets "nothing there" be the empty list.
  find: (input) =>
    // "the Save button" is not doubled into "the the Save button".
    `Inspect the image and detect the ${input.question.trim().replace(/^the\s+/i, '')}. ` +
    'Provide result as a valid JSON: [{"label": str, "bbox": [x1,y1,x2,y2]}, ...]. ' +
    'Coordinates must be normalized to 0-1. If there is none, return [].',
};

/** Tasks whose instruction carries the user's words itself, so they are not added again after it. */
const QUESTION_IN_INSTRUCTION: ReadonlySet<Task> = new Set(['find']);

/** Tasks whose answers improve when the OCR'd text is quoted to the model. */
export const OCR_GROUNDED_TASKS: ReadonlySet<Task> = new Set(['explain-screenshot', 'describe-diagram', 'chart-to-table']);

/** Where the crop sits, so the model can relate what it sees to the whole screen. */
function regionText({ x, y, width, height, of }: NonNullable<PromptInput['crop']>): string {
  return (
    `This image is the region ${formatRegion({ x, y, width, height })} (x, y, width, height in pixels) ` +
    `of a ${of.width}x${of.height} image, shown at its own resolution.`
  );
}

/** The pixel diff's boxes, so the model looks where something changed (coordinates of Image 1). */
function changesText(changes: Region[]): string {
  if (changes.length === 0) return 'Image 1 is the before and Image 2 the after.';
  const boxes = changes.map((box) => `- ${formatRegion(box)}`).join('\n');
  return (
    'Image 1 is the before and Image 2 the after. A pixel comparison found changes in these regions ' +
    `(x, y, width, height in pixels of Image 1):\n${boxes}`
  );
}

function firstUserText(input: PromptInput): string {
  const parts: string[] = [];
  if (input.crop) parts.push(regionText(input.crop));
  if (input.comparison) parts.push(changesText(input.comparison.changes));
  const instruction = TASK_INSTRUCTIONS[input.task](input);
  if (instruction) parts.push(instruction);
  if (input.documentContext?.trim()) {
    parts.push(`The image appears in this passage of a document:\n"""\n${input.documentContext.trim()}\n"""`);
  }
  if (input.ocrText?.trim()) {
    parts.push(
      'Text recognised in the image by OCR (position in brackets); quote it exactly where relevant:\n' +
        input.ocrText.trim(),
    );
  }
  if (input.language) parts.push(`Answer in the language with code "${input.language}".`);
  const question = input.question.trim();
  if (question && !QUESTION_IN_INSTRUCTION.has(input.task)) parts.push(question);
  if (parts.length === 0) parts.push('Describe this image.');
  return parts.join('\n\n');
}

/**
 * The image parts that open the first user turn. Two images are labelled in the text around them
 * (the LFM2-VL chat template writes each image part as `<image>` where it stands and joins the
 * parts without separators, so the labels sit right before their images).
 */
function openingContent(input: PromptInput, text: string): ContentPart[] {
  if (!input.comparison) return [{ type: 'image' }, { type: 'text', text }];
  return [
    { type: 'text', text: 'Image 1:\n' },
    { type: 'image' },
    { type: 'text', text: '\nImage 2:\n' },
    { type: 'image' },
    { type: 'text', text: `\n${text}` },
  ];
}

/**
 * The conversation for one request. The image belongs to the first user turn; follow-up questions
 * are text turns after the earlier answers, so the model keeps the context of the image.
 */
export function buildMessages(input: PromptInput): ChatMessage[] {
  const [first, ...rest] = input.history;
  if (!first) {
    return [{ role: 'user', content: openingContent(input, firstUserText(input)) }];
  }
  if (first.role !== 'user') throw new RangeError('A conversation must start with a user turn.');
  const opening = firstUserText({ ...input, task: first.task ?? 'question', question: first.text });
  const messages: ChatMessage[] = [{ role: 'user', content: openingContent(input, opening) }];
  for (const turn of rest) messages.push({ role: turn.role, content: turn.text });
  const question = input.question.trim();
  if (!question) throw new RangeError('A follow-up needs a question.');
  messages.push({ role: 'user', content: question });
  return messages;
}
