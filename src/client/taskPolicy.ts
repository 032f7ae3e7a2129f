/**
 * How Loupe asks a vision model for a task, the same from the panel, the chat, the quick fixes, the
 * batch, the CLI and the agent tools: the generation options (the preset, the task's answer limit,
 * the user's sampling), what the prompt is told (alt text's length and language), OCR grounding, and
 * how an answer is finished (alt text as one clean sentence within the length).
 */
import { normalizeAltText } from '../altText/altQuality';
import type { StopReason } from '../protocol/engine';
import { resolveOptions, type GenerationOptions, type PresetName, type Sampling } from '../protocol/options';
import type { Task } from '../protocol/tasks';

export interface TaskSettings {
  preset: PresetName;
  /** Overrides of the model card's sampling (`loupe.generation`, CLI flags). */
  sampling?: Sampling;
  /** Give the model the text OCR reads in the image (for the tasks that use it). */
  ocrGrounding: boolean;
  /** Longest alt text (`loupe.altText.maxLength`, `--max-length`): the prompt asks for it and the answer is held to it. */
  altTextMaxLength: number;
  /** Language of alt text and of descriptions written into documents; undefined: the model's default. */
  language?: string;
  /** An answer length asked for explicitly (`--max-new-tokens`). */
  maxNewTokens?: number;
}

/** A description written into a document (Describe diagram) gets room for a full list, whatever the preset. */
const DOCUMENT_DIAGRAM_TOKENS = 512;

export interface TaskRequest {
  task: Task;
  options: GenerationOptions;
  ocrGrounding: boolean;
  altTextMaxLength?: number;
  language?: string;
}

/** `forDocument`: the answer is written into a document (quick fixes, batch) rather than shown in a conversation. */
export function taskRequest(task: Task, settings: TaskSettings, forDocument = false): TaskRequest {
  const maxNewTokens = settings.maxNewTokens ?? (forDocument && task === 'describe-diagram' ? DOCUMENT_DIAGRAM_TOKENS : undefined);
  const writesAltText = task === 'alt-text';
  return {
    task,
    options: resolveOptions(settings.preset, { ...(maxNewTokens && { maxNewTokens }), sampling: settings.sampling ?? {} }, task),
    ocrGrounding: settings.ocrGrounding,
    ...(writesAltText && { altTextMaxLength: settings.altTextMaxLength }),
    ...((writesAltText || forDocument) && settings.language && { language: settings.language }),
  };
}

/** The answer as shown and written: alt text cleaned and held to its length; a stopped answer as it was. */
export function finishAnswer(task: Task, text: string, stopReason: StopReason, settings: Pick<TaskSettings, 'altTextMaxLength'>): string {
  if (task !== 'alt-text' || stopReason === 'stopped') return text;
  return normalizeAltText(text, { maxLength: settings.altTextMaxLength }) || text;
}
