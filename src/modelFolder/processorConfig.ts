/**
 * transformers.js 4.3.1 finds a model's processor through `preprocessor_config.json`
 * (models/auto/processing_auto.js). Newer exports keep the image processor's settings only
 * nested in `processor_config.json` (`{ "image_processor": {...}, "processor_class": ... }`), as
 * Liquid AI's LFM2.5-VL-1.6B-ONNX does; download and import then write `preprocessor_config.json`
 * from it, the same settings at the top level, so the engine reads what upstream reads.
 */
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const PREPROCESSOR_CONFIG = 'preprocessor_config.json';
export const PROCESSOR_CONFIG = 'processor_config.json';

const NestedProcessorSchema = z.object({
  image_processor: z.object({ image_processor_type: z.string().min(1) }).catchall(z.unknown()),
  processor_class: z.string().min(1).optional(),
});

/** The preprocessor configuration `processor_config.json` implies, if it nests one. */
export async function nestedPreprocessorConfig(dir: string): Promise<Record<string, unknown> | undefined> {
  const text = await readFile(join(dir, PROCESSOR_CONFIG), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = NestedProcessorSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { image_processor, processor_class } = parsed.data;
  return processor_class ? { ...image_processor, processor_class } : image_processor;
}

/** Writes `preprocessor_config.json` when the folder lacks it and can derive it; true when it wrote. */
export async function embedPreprocessorConfig(dir: string): Promise<boolean> {
  const path = join(dir, PREPROCESSOR_CONFIG);
  if (await stat(path).then(() => true, () => false)) return false;
  const derived = await nestedPreprocessorConfig(dir);
  if (!derived) return false;
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(derived, null, 2)}\n`);
  await rename(temporary, path);
  return true;
}
