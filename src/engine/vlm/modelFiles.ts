/**
 * Which precision the engine loads from a model folder, and how many bytes of weights that is.
 * A folder from the model store loads exactly the precision its `installed.json` selects (the
 * one the user downloaded or chose); a plain folder (`--model <dir>`, `loupe.model.path`) loads
 * the precision the store would have picked for it (src/modelFolder/modelLayout.ts).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readInstalledMarker } from '../../modelFolder/installedMarker';
import { validateModelFolder } from '../../modelFolder/folderValidation';
import { findGraphFiles, GRAPH_NAMES, graphFile, precisionsOf, type Dtype, type DtypeMap } from '../../modelFolder/modelLayout';

export type GraphDtype = Dtype;

export interface ModelFolderInfo {
  dtypes: DtypeMap;
  /** Bytes of the ONNX graphs and their external data that will be loaded. */
  weightBytes: number;
  /** Those graphs and their external data, relative to the folder. */
  graphFiles: string[];
}

/**
 * The precision to load and its size, after the same checks an import makes
 * (src/modelFolder/folderValidation.ts): a folder given as `--model` or `loupe.model.path` is as untrusted as one being
 * imported. An empty graph, external data pointing out of the folder or a FIFO named config.json
 * is refused here with the file named, instead of aborting or hanging inside onnxruntime.
 */
export async function inspectModelFolder(modelDir: string): Promise<ModelFolderInfo> {
  const dtypes = (await readInstalledMarker(modelDir))?.dtype ?? (await plainFolderDtypes(modelDir));
  const graphs = GRAPH_NAMES.map((graph) => {
    const file = graphFile(graph, dtypes[graph]);
    return { graph, dtype: dtypes[graph], path: file, file };
  });
  const report = await validateModelFolder(modelDir, { graphs });
  const graphFiles = [...new Set(report.graphs.flatMap((graph) => [graph.file, ...graph.externalData]))];
  let weightBytes = 0;
  for (const file of graphFiles) weightBytes += (await stat(join(modelDir, file))).size;
  return { dtypes, weightBytes, graphFiles };
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
