/**
 * The tools Loupe lends to other agents, written once: VS Code's language-model tools
 * (src/features/languageModelTools.ts, with package.json's `contributes.languageModelTools`, whose
 * schemas a test compares with these) and `loupe mcp` (src/cli/mcpCommand.ts) take their names,
 * descriptions and input schemas from here.
 */
import { z } from 'zod';
import { MAX_QUESTION_CHARS } from '../protocol/engine';
import { DECODABLE_FORMATS, formatNames } from '../protocol/imageFormats';
import type { Task } from '../protocol/tasks';
import { FIND_PROBLEMS, FoundBoxSchema } from '../protocol/findBoxes';

export const IMAGE_KINDS = ['screenshot', 'diagram', 'chart'] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];

/** What "describe" asks the model for, by the kind of image. */
export const TASK_FOR_KIND: Record<ImageKind, Task> = {
  screenshot: 'explain-screenshot',
  diagram: 'describe-diagram',
  chart: 'chart-to-table',
};

/** Where the image is: a path, inline data, or an image reference in a document. */
const imageFields = {
  image: z
    .string()
    .min(1)
    .optional()
    .describe(`Path of the image (${formatNames(DECODABLE_FORMATS)}), relative to the workspace root or absolute inside it.`),
  imageData: z.string().min(1).optional().describe('The image itself, base64-encoded, instead of a path.'),
  document: z.string().min(1).optional().describe('A Markdown, MDX, HTML or JSX document whose image reference to use, instead of a path (with line).'),
  line: z.number().int().min(1).optional().describe('With document: the 1-based line of the image reference.'),
  character: z.number().int().min(1).optional().describe('With document: the 1-based column on that line, when it holds several images.'),
};

/** The tool's own fields besides the image's; which one image is meant is checked in toolImage.ts (JSON Schema cannot say "exactly one"). */
function oneImage<T extends z.ZodRawShape>(shape: T) {
  return z.object({ ...imageFields, ...shape }).strict();
}

export const AGENT_TOOLS = {
  loupe_describe_image: {
    referenceName: 'loupeDescribe',
    title: 'Describe an image',
    description:
      'Looks at an image on this machine with a local vision model and describes it in text: a UI screenshot (what is on screen and what it is for), a diagram (its parts and how they connect) or a chart (as a Markdown table). Use it when you cannot see images yourself. Nothing leaves the machine unless the user configured a model server.',
    input: oneImage({ kind: z.enum(IMAGE_KINDS).default('screenshot').describe('What the image is: screenshot, diagram or chart.') }),
  },
  loupe_ask_image: {
    referenceName: 'loupeAsk',
    title: 'Ask about an image',
    description:
      'Answers a question about an image on this machine with a local vision model (for example "which button is disabled?" or "what does the error dialog say?"). Use it when you cannot see images yourself.',
    input: oneImage({ question: z.string().min(1).max(MAX_QUESTION_CHARS).describe('The question about the image.') }),
  },
  loupe_read_image_text: {
    referenceName: 'loupeText',
    title: 'Read the text in an image',
    description:
      'Reads the text in an image with OCR (PaddleOCR, on this machine): each line with its confidence and its box in image pixels, in reading order. Exact text; use it for error messages, labels and code in screenshots.',
    input: oneImage({}),
  },
  loupe_alt_text: {
    referenceName: 'loupeAlt',
    title: 'Alt text for an image',
    description:
      'Writes alt text for an image (one sentence, at most 125 characters by default) with a local vision model, for Markdown, HTML or JSX documents.',
    input: oneImage({ context: z.string().max(4000).optional().describe('Text around the image in its document, so the alt text says what the image is there for.') }),
  },
  loupe_find_in_image: {
    referenceName: 'loupeFind',
    title: 'Find things in an image',
    description:
      'Finds things in an image with a local vision model (LFM2-VL and LFM2.5-VL) and gives each one\'s label and box in image pixels (x, y, width, height), for example "the Save button" or "every error icon"; "0 found" when it sees none. Use it to point at or count UI elements. Boxes from a 450M model are approximate.',
    input: oneImage({ what: z.string().min(1).max(MAX_QUESTION_CHARS).describe('What to look for, in a few words ("the Save button").') }),
  },
} as const;

export type AgentToolName = keyof typeof AGENT_TOOLS;
export const AGENT_TOOL_NAMES = Object.keys(AGENT_TOOLS) as AgentToolName[];
export type AgentToolInput<N extends AgentToolName> = z.output<(typeof AGENT_TOOLS)[N]['input']>;

/** The input schema as JSON Schema, for package.json and for MCP clients. */
export function inputJsonSchema(name: AgentToolName): Record<string, unknown> {
  const schema = z.toJSONSchema(AGENT_TOOLS[name].input, { io: 'input' }) as Record<string, unknown>;
  delete schema.$schema;
  return schema;
}

/** OCR's structured answer (MCP `outputSchema`, VS Code's data part). */
export const OcrAnswerSchema = z.object({
  width: z.number().int(),
  height: z.number().int(),
  lines: z.array(
    z.object({
      text: z.string(),
      confidence: z.number(),
      /** Four corners, clockwise from top-left, in image pixels. */
      box: z.array(z.tuple([z.number(), z.number()])).length(4),
    }),
  ),
});
export type OcrAnswer = z.infer<typeof OcrAnswerSchema>;

/** Find's structured answer (MCP `outputSchema`, VS Code's data part): boxes in pixels of `image`. */
export const FoundAnswerSchema = z.object({
  image: z.object({ width: z.number().int(), height: z.number().int() }),
  boxes: z.array(FoundBoxSchema),
  /** Why the answer held no boxes, when it was not the model's empty list. */
  problem: z.enum(FIND_PROBLEMS).optional(),
});
export type FoundAnswer = z.infer<typeof FoundAnswerSchema>;
