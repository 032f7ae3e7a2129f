/**
 * Facts about a model folder read from disk: which ONNX precision each graph has and how many
 * bytes loading it will need. The folder is the single source of truth, whether it was downloaded,
 * imported or generated for tests.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** transformers.js dtype names and the file suffix each maps to (onnx/<graph><suffix>.onnx). */
const DTYPE_SUFFIXES = [
  ['q4', '_q4'],
  ['q4f16', '_q4f16'],
  ['int8', '_int8'],
  ['uint8', '_uint8'],
  ['q8', '_quantized'],
  ['fp16', '_fp16'],
  ['fp32', ''],
] as const;
export type GraphDtype = (typeof DTYPE_SUFFIXES)[number][0];

export interface ModelFolderInfo {
  dtypes: Record<string, GraphDtype>;
  /** Bytes of the ONNX graphs and their external data that will be loaded. */
  weightBytes: number;
}

/** CPU-friendly preference: the smallest precision present for each graph. */
export function inspectModelFolder(modelDir: string, graphs: readonly string[]): ModelFolderInfo {
  const onnxDir = join(modelDir, 'onnx');
  if (!existsSync(join(modelDir, 'config.json'))) {
    throw new Error(`${modelDir} is not a model folder: config.json is missing.`);
  }
  const files = existsSync(onnxDir) ? new Set(readdirSync(onnxDir)) : new Set<string>();
  const dtypes: Record<string, GraphDtype> = {};
  let weightBytes = 0;
  for (const graph of graphs) {
    const found = DTYPE_SUFFIXES.find(([, suffix]) => files.has(`${graph}${suffix}.onnx`));
    if (!found) throw new Error(`${modelDir} has no ONNX file for the "${graph}" graph (looked in ${onnxDir}).`);
    const [dtype, suffix] = found;
    dtypes[graph] = dtype;
    const stem = `${graph}${suffix}.onnx`;
    for (const file of files) {
      if (file === stem || file.startsWith(`${stem}_data`)) weightBytes += statSync(join(onnxDir, file)).size;
    }
  }
  return { dtypes, weightBytes };
}

/** The graphs an architecture is exported as, read from config.json's model_type. */
export function graphsFor(modelType: string): readonly string[] {
  if (modelType === 'lfm2_vl') return ['vision_encoder', 'embed_tokens', 'decoder_model_merged'];
  if (modelType === 'idefics3') return ['vision_encoder', 'embed_tokens', 'decoder_model_merged'];
  throw new Error(`Model type "${modelType}" is not supported by Loupe (supported: lfm2_vl, idefics3).`);
}
