/**
 * The one description of a model folder the engine can run, shared by the manifests, download,
 * import and the engine. It mirrors what transformers.js 4.3.1 does when it loads a local folder
 * (read in node_modules/@huggingface/transformers/src), so a folder that passes here loads there:
 *
 * - models/session_config.js: an image-text-to-text model is three ONNX sessions,
 *   `vision_encoder`, `embed_tokens` and `decoder_model_merged`, for every architecture.
 * - models/session.js + utils/dtypes.js: each session's file is `onnx/<graph><suffix>.onnx`, the
 *   suffix taken from the dtype (`DEFAULT_DTYPE_SUFFIX_MAPPING`, 8-bit is `_quantized`). No option
 *   names another file, so a repository with other names is stored under transformers.js's:
 *   Liquid AI's `_q8` becomes `_quantized`, and its LFM2.5-VL-1.6B export's `embed_images` and
 *   `decoder` graphs (same inputs and outputs, docs/models.md) become `vision_encoder` and
 *   `decoder_model_merged`. The graph's bytes stay as downloaded (verifiable against the hub's
 *   SHA-256); its external data keeps the name the graph refers to.
 * - utils/model-loader.js: in Node, `use_external_data_format` only makes transformers.js check
 *   that `<stored name>_data…` exists, then onnxruntime reads what the graph itself refers to; so
 *   the engine sets it per file from the folder (`externalDataChunks`), never from config.json.
 * - models/registry.js: `lfm2_vl`, `idefics3` and `smolvlm` are image-text-to-text models
 *   (SmolVLM's class is Idefics3's).
 * - models/auto/processing_auto.js: the processor comes from `preprocessor_config.json`;
 *   `Idefics3Processor.uses_processor_config` also needs `processor_config.json`.
 * - tokenization_utils.js: the chat template is read from `tokenizer_config.json` only
 *   (`Processor.uses_chat_template_file` is false for both processors), never from
 *   `chat_template.jinja` / `chat_template.json`.
 */

export const ARCHITECTURES = ['lfm2-vl', 'smolvlm'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

const MODEL_TYPES: Record<string, Architecture> = { lfm2_vl: 'lfm2-vl', idefics3: 'smolvlm', smolvlm: 'smolvlm' };
export const SUPPORTED_MODEL_TYPES = Object.keys(MODEL_TYPES);

/** Each architecture's family as people name it, for labels and messages. */
export const FAMILY_NAMES: Record<Architecture, string> = { 'lfm2-vl': 'LFM2-VL', smolvlm: 'SmolVLM' };

/** config.json's `model_type` as an architecture; undefined for anything Loupe cannot run. */
export function architectureForModelType(modelType: unknown): Architecture | undefined {
  return typeof modelType === 'string' && Object.hasOwn(MODEL_TYPES, modelType) ? MODEL_TYPES[modelType] : undefined;
}

/** The sessions of every supported architecture. */
export const GRAPH_NAMES = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const;
export type GraphName = (typeof GRAPH_NAMES)[number];

/**
 * The dtypes the engine loads: transformers.js 4.3.1's, less `q1`/`q2` (and their f16 forms),
 * which no export of these models uses and which were never run here. `bnb4` loads: its
 * `MatMulBnb4` kernel is in onnxruntime-node 1.30's CPU provider (modelLayout.test.ts runs one).
 */
export const DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const;
export type Dtype = (typeof DTYPES)[number];
export type DtypeMap = Record<GraphName, Dtype>;

/** transformers.js's spelling: the file name the engine loads. */
const DTYPE_SUFFIX: Record<Dtype, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

/** Other exporters' spellings of a dtype (Liquid AI's repositories name 8-bit files `_q8`). */
const SUFFIX_ALIASES: Record<string, Dtype> = { _q8: 'q8' };

/**
 * Other exporters' names for a session's graph: Liquid AI's own LFM2.5-VL-1.6B-ONNX export
 * (Liquid4All/onnx-export, lfm2_vl/export.py) writes `embed_images` and `decoder`, with the inputs
 * and outputs of `vision_encoder` and `decoder_model_merged` (checked against the contract).
 */
const GRAPH_ALIASES: Record<GraphName, readonly string[]> = {
  vision_encoder: ['embed_images'],
  embed_tokens: [],
  decoder_model_merged: ['decoder'],
};

/** When nothing says which precision to use (an import without a manifest, a plain folder): CPU-friendly first. */
const DTYPE_PREFERENCE: readonly Dtype[] = ['q4', 'fp16', 'q8', 'fp32', 'int8', 'uint8', 'q4f16', 'bnb4'];

/** The file transformers.js loads for a graph in a dtype. */
export function graphFile(graph: GraphName, dtype: Dtype): string {
  return `onnx/${graph}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/** The spellings a graph's file may have in a repository or folder, transformers.js's first. */
export function graphFileSpellings(graph: GraphName, dtype: Dtype): string[] {
  const suffixes = [DTYPE_SUFFIX[dtype], ...Object.entries(SUFFIX_ALIASES).filter(([, d]) => d === dtype).map(([suffix]) => suffix)];
  return [graph, ...GRAPH_ALIASES[graph]].flatMap((name) => suffixes.map((suffix) => `onnx/${name}${suffix}.onnx`));
}

export interface FoundGraph {
  graph: GraphName;
  dtype: Dtype;
  /** Where the file is in the repository or source folder. */
  path: string;
  /** Where it is stored: the name transformers.js loads. */
  file: string;
}

/**
 * The graph files among `paths` (repository or folder relative), one per graph and dtype; the
 * transformers.js spelling wins over an alias when a folder has both.
 */
export function findGraphFiles(paths: Iterable<string>): FoundGraph[] {
  const present = new Set(paths);
  const found: FoundGraph[] = [];
  for (const graph of GRAPH_NAMES) {
    for (const dtype of DTYPES) {
      const path = graphFileSpellings(graph, dtype).find((p) => present.has(p));
      if (path) found.push({ graph, dtype, path, file: graphFile(graph, dtype) });
    }
  }
  return found;
}

/** `<graph file>_data`, `<graph file>_data_1`, …: the external-data chunks exporters write next to a graph. */
export function isExternalDataChunk(graphPath: string, path: string): boolean {
  return path.startsWith(`${graphPath}_data`) && /^(?:_\d+)?$/.test(path.slice(graphPath.length + '_data'.length));
}

/**
 * The `use_external_data_format` value the engine gives transformers.js: for every graph file in
 * `paths` (folder-relative), how many `<file>_data`, `<file>_data_1`, … chunks sit next to it.
 * A graph without them loads inline or from the data its own protobuf names (a renamed graph), so
 * the real LFM2.5-VL-450M export's inline fp32 `embed_tokens.onnx` loads although its config.json
 * says `true` for every graph.
 */
export function externalDataChunks(paths: Iterable<string>): Record<string, number> {
  const all = [...paths];
  const chunks: Record<string, number> = {};
  for (const graph of all.filter((path) => path.startsWith('onnx/') && path.endsWith('.onnx'))) {
    chunks[graph.slice('onnx/'.length)] = all.filter((path) => isExternalDataChunk(graph, path)).length;
  }
  return chunks;
}

/**
 * Why a repository revision is an export Loupe cannot run although some names match: Liquid AI's
 * current exporter writes onnxruntime-genai folders (a `genai_config.json`, an `embeddings` graph
 * that also scatters image features), which transformers.js does not load.
 */
export function unsupportedExportProblem(paths: Iterable<string>): string | undefined {
  return [...paths].includes('genai_config.json')
    ? 'it is an onnxruntime-genai export (genai_config.json), whose graphs transformers.js cannot run'
    : undefined;
}

/** Root files transformers.js reads (and fails without) for an architecture. */
export function requiredRootFiles(architecture: Architecture): string[] {
  const files = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'preprocessor_config.json'];
  return architecture === 'smolvlm' ? [...files, 'processor_config.json'] : files;
}

/** Where upstream processors keep their chat template, preferred in this order over tokenizer_config.json's. */
export const CHAT_TEMPLATE_FILES = ['chat_template.jinja', 'chat_template.json'] as const;

export interface NamedPrecision {
  id: string;
  dtype: DtypeMap;
}

/**
 * The complete precisions among found graphs, the one to use first. `named` (a manifest's
 * precisions, default first) are tried first; otherwise each dtype every graph has is a
 * precision named after it; failing that, the preferred dtype of each graph ("mixed").
 */
export function precisionsOf(found: FoundGraph[], named: NamedPrecision[] = []): NamedPrecision[] {
  const has = (graph: GraphName, dtype: Dtype) => found.some((g) => g.graph === graph && g.dtype === dtype);
  const complete = (dtype: DtypeMap) => GRAPH_NAMES.every((graph) => has(graph, dtype[graph]));
  const matching = named.filter((p) => complete(p.dtype));
  if (matching.length > 0) return matching;
  const uniform = DTYPE_PREFERENCE.filter((dtype) => GRAPH_NAMES.every((graph) => has(graph, dtype))).map((dtype) => ({
    id: dtype,
    dtype: { vision_encoder: dtype, embed_tokens: dtype, decoder_model_merged: dtype },
  }));
  if (uniform.length > 0) return uniform;
  const mixed = {} as DtypeMap;
  for (const graph of GRAPH_NAMES) {
    const dtype = DTYPE_PREFERENCE.find((d) => has(graph, d));
    if (!dtype) return [];
    mixed[graph] = dtype;
  }
  return [{ id: 'mixed', dtype: mixed }];
}

/**
 * Why a set of files holds no runnable precision, naming what is there: the message a refused
 * download or import ends with. `wanted` narrows it to one precision's graphs.
 */
export function missingGraphsProblem(paths: Iterable<string>, wanted?: DtypeMap): string | undefined {
  const all = [...paths];
  const found = findGraphFiles(all);
  const missing = GRAPH_NAMES.filter((graph) => !found.some((g) => g.graph === graph && (!wanted || g.dtype === wanted[graph])));
  if (missing.length === 0) return undefined;
  const lookedFor = missing.map((graph) => (wanted ? graphFileSpellings(graph, wanted[graph]).join(' or ') : `onnx/${graph}*.onnx`));
  const onnx = all.filter((path) => path.endsWith('.onnx')).sort();
  return `no ${missing.join(', ')} graph that Loupe can load (looked for ${lookedFor.join(', ')}); ONNX files present: ${onnx.length > 0 ? onnx.join(', ') : 'none'}`;
}
