/**
 * Every prompt Loupe sends lives here. Messages are rendered by the model's own chat template
 * (tokenizer_config.json), never by string concatenation, so each model family gets its format.
 * User text in them is neutralised against the model's control tokens where the tokenizer is
 * known (src/engine/vlm/controlTokens.ts, applied by the local VLM; a server applies its own template).
 */
import type { ChatTurn } from '../protocol/engine';
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
};

/** Tasks whose answers improve when the OCR'd text is quoted to the model. */
export const OCR_GROUNDED_TASKS: ReadonlySet<Task> = new Set(['explain-screenshot', 'describe-diagram', 'chart-to-table']);

function firstUserText(input: PromptInput): string {
  const parts: string[] = [];
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
  if (question) parts.push(question);
  if (parts.length === 0) parts.push('Describe this image.');
  return parts.join('\n\n');
}

/**
 * The conversation for one request. The image belongs to the first user turn; follow-up questions
 * are text turns after the earlier answers, so the model keeps the context of the image.
 */
export function buildMessages(input: PromptInput): ChatMessage[] {
  const [first, ...rest] = input.history;
  if (!first) {
    return [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: firstUserText(input) }] }];
  }
  if (first.role !== 'user') throw new RangeError('A conversation must start with a user turn.');
  const opening = firstUserText({ ...input, task: first.task ?? 'question', question: first.text });
  const messages: ChatMessage[] = [{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: opening }] }];
  for (const turn of rest) messages.push({ role: turn.role, content: turn.text });
  const question = input.question.trim();
  if (!question) throw new RangeError('A follow-up needs a question.');
  messages.push({ role: 'user', content: question });
  return messages;
}
