import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** config.json's model_type, with an error that says which folder is wrong. */
export function readModelType(modelDir: string): string {
  let text: string;
  try {
    text = readFileSync(join(modelDir, 'config.json'), 'utf8');
  } catch {
    throw new Error(`No model at ${modelDir}: config.json is missing. Download or import a model ("Loupe: Select Model").`);
  }
  const modelType = (JSON.parse(text) as { model_type?: unknown }).model_type;
  if (typeof modelType !== 'string') throw new Error(`${join(modelDir, 'config.json')} has no model_type.`);
  return modelType;
}
