/**
 * Which precision the engine loads from a model folder, and how many bytes of weights that is.
 * A folder from the model store loads exactly the precision its `installed.json` selects (the
 * one the user downloaded or chose); a plain folder (`--model <dir>`, `loupe.model.path`) loads
 * the precision the store would have picked for it (src/models/modelLayout.ts).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { readInstalledMarker } from '../models/installedMarker';
import { architectureForModelType, findGraphFiles, GRAPH_NAMES, graphFile, precisionsOf, SUPPORTED_MODEL_TYPES, type Dtype, type DtypeMap } from '../models/modelLayout';
import { readOnnxHeader } from '../models/onnxHeader';

export type GraphDtype = Dtype;

export interface ModelFolderInfo {
  dtypes: DtypeMap;
  /** Bytes of the ONNX graphs and their external data that will be loaded. */
  weightBytes: number;
}

export async function inspectModelFolder(modelDir: string): Promise<ModelFolderInfo> {
  const modelType = await readModelType(modelDir);
  if (!architectureForModelType(modelType)) {
    throw new Error(`Model type "${modelType}" is not supported by Loupe (supported: ${SUPPORTED_MODEL_TYPES.join(', ')}).`);
  }
  const dtypes = (await readInstalledMarker(modelDir))?.dtype ?? (await plainFolderDtypes(modelDir));
  let weightBytes = 0;
  for (const graph of GRAPH_NAMES) {
    const file = join(modelDir, graphFile(graph, dtypes[graph]));
    const size = await stat(file).then((s) => s.size, () => undefined);
    if (size === undefined) throw new Error(`${modelDir} has no ${dtypes[graph]} ONNX file for the "${graph}" graph (${file} is missing).`);
    const data = new Set((await readOnnxHeader(file)).externalData.map((ref) => resolve(dirname(file), ref.location)));
    weightBytes += size;
    for (const path of data) weightBytes += await stat(path).then((s) => s.size, () => 0);
  }
  return { dtypes, weightBytes };
}

/** config.json's model_type, with an error that says which folder is wrong. */
async function readModelType(modelDir: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(join(modelDir, 'config.json'), 'utf8');
  } catch {
    throw new Error(`No model at ${modelDir}: config.json is missing. Download or import a model ("Loupe: Select Model").`);
  }
  const modelType = (JSON.parse(text) as { model_type?: unknown }).model_type;
  if (typeof modelType !== 'string') throw new Error(`${join(modelDir, 'config.json')} has no model_type.`);
  return modelType;
}

/** Only transformers.js's own spellings count here: nothing renames a plain folder's files. */
async function plainFolderDtypes(modelDir: string): Promise<DtypeMap> {
  const names = await readdir(join(modelDir, 'onnx')).catch(() => [] as string[]);
  const found = findGraphFiles(names.map((name) => `onnx/${name}`)).filter((g) => g.path === g.file);
  const chosen = precisionsOf(found)[0];
  if (!chosen) {
    const missing = GRAPH_NAMES.filter((graph) => !found.some((g) => g.graph === graph));
    throw new Error(`${modelDir} has no ONNX file for the ${missing.map((g) => `"${g}"`).join(', ')} graph (looked in ${join(modelDir, 'onnx')}).`);
  }
  return chosen.dtype;
}
