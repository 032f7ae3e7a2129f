/**
 * transformers.js 4.3.1 reads a model's chat template from tokenizer_config.json only (see
 * modelLayout.ts), while upstream processors keep theirs in chat_template.jinja (or the older
 * chat_template.json) and use it over the tokenizer's. Download and import write the processor's
 * template into tokenizer_config.json, so the engine formats prompts as upstream does.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CHAT_TEMPLATE_FILES } from './modelLayout';

const TOKENIZER_CONFIG = 'tokenizer_config.json';

const TokenizerConfigSchema = z.record(z.string(), z.unknown());
const ChatTemplateJsonSchema = z.object({ chat_template: z.string().min(1) });

export interface ChatTemplate {
  /** The file it was read from. */
  source: string;
  template: unknown;
}

/** The template the model should use, or undefined when the folder has none anywhere. */
export async function findChatTemplate(dir: string): Promise<ChatTemplate | undefined> {
  const processor = await processorTemplate(dir);
  if (processor) return processor;
  const template = (await tokenizerConfig(dir))?.chat_template;
  return template ? { source: TOKENIZER_CONFIG, template } : undefined;
}

/** Writes the processor's template into tokenizer_config.json where it differs; true when it wrote. */
export async function embedChatTemplate(dir: string): Promise<boolean> {
  const processor = await processorTemplate(dir);
  const config = await tokenizerConfig(dir);
  if (!processor || !config || config.chat_template === processor.template) return false;
  const path = join(dir, TOKENIZER_CONFIG);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ ...config, chat_template: processor.template }, null, 2)}\n`);
  // A rename replaces the entry: a file shared with another folder (a link made by hand) stays untouched.
  await rename(temporary, path);
  return true;
}

async function processorTemplate(dir: string): Promise<ChatTemplate | undefined> {
  for (const file of CHAT_TEMPLATE_FILES) {
    const text = await readFile(join(dir, file), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    if (file.endsWith('.jinja')) return text.trim() ? { source: file, template: text } : undefined;
    const parsed = ChatTemplateJsonSchema.safeParse(parseJson(text));
    if (parsed.success) return { source: file, template: parsed.data.chat_template };
  }
  return undefined;
}

async function tokenizerConfig(dir: string): Promise<Record<string, unknown> | undefined> {
  const text = await readFile(join(dir, TOKENIZER_CONFIG), 'utf8').catch(() => undefined);
  const parsed = TokenizerConfigSchema.safeParse(text === undefined ? undefined : parseJson(text));
  return parsed.success ? parsed.data : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
