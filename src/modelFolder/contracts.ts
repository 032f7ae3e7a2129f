/**
 * What each architecture's ONNX graphs must look like to the engine: their input and output names.
 * Import (and a finished download) checks every graph against this before the model is accepted,
 * so a folder with the wrong export fails here with the mismatching name, not at the first question.
 *
 * LFM2-VL facts are mirrored from the real LFM2.5-VL-450M-ONNX export (revision 95c283d4…): the
 * vision encoder takes NaFlex patches, the token embedder maps ids to embeddings, and the merged
 * decoder carries a conv state for each conv layer and a key/value cache for each attention layer.
 * SmolVLM facts follow the transformers.js export convention for idefics3 models (not checked
 * against real files here, hence the optional `position_ids`).
 */
import type { Architecture, GraphName } from './modelLayout';

export interface GraphIo {
  inputs: string[];
  outputs: string[];
}

export type Lfm2LayerType = 'conv' | 'full_attention';

/** `text_config.layer_types` of LFM2.5-VL-450M: conv layers 0,1,3,4,6,7,9,11,13,15, attention at 2,5,8,10,12,14. */
export const LFM2_5_VL_450M_LAYER_TYPES: readonly Lfm2LayerType[] = [
  'conv', 'conv', 'full_attention', 'conv', 'conv', 'full_attention', 'conv', 'conv',
  'full_attention', 'conv', 'full_attention', 'conv', 'full_attention', 'conv', 'full_attention', 'conv',
];

const FIXED_GRAPHS: Record<Architecture, Record<Exclude<GraphName, 'decoder_model_merged'>, GraphIo & { optionalInputs: string[] }>> = {
  'lfm2-vl': {
    // pixel_values [batch, num_patches, 768] float, pixel_attention_mask [batch, num_patches] int64,
    // spatial_shapes [batch, 2] int64 -> image_features [num_image_tokens, hidden].
    vision_encoder: { inputs: ['pixel_values', 'pixel_attention_mask', 'spatial_shapes'], outputs: ['image_features'], optionalInputs: [] },
    // input_ids [batch, seq] int64 -> inputs_embeds [batch, seq, hidden].
    embed_tokens: { inputs: ['input_ids'], outputs: ['inputs_embeds'], optionalInputs: [] },
  },
  smolvlm: {
    vision_encoder: { inputs: ['pixel_values'], outputs: ['image_features'], optionalInputs: ['pixel_attention_mask'] },
    embed_tokens: { inputs: ['input_ids'], outputs: ['inputs_embeds'], optionalInputs: [] },
  },
};

const DECODER_REQUIRED: GraphIo = { inputs: ['inputs_embeds', 'attention_mask'], outputs: ['logits'] };
const DECODER_OPTIONAL_INPUTS: Record<Architecture, string[]> = {
  'lfm2-vl': ['position_ids', 'num_logits_to_keep'],
  smolvlm: ['position_ids'],
};

/** Exact decoder names for an LFM2-VL text model with these layer types. */
export function lfm2VlDecoderIo(layerTypes: readonly Lfm2LayerType[]): GraphIo {
  const inputs = [...DECODER_REQUIRED.inputs];
  const outputs = [...DECODER_REQUIRED.outputs];
  layerTypes.forEach((type, layer) => {
    if (type === 'conv') {
      inputs.push(`past_conv.${layer}`);
      outputs.push(`present_conv.${layer}`);
    } else {
      inputs.push(`past_key_values.${layer}.key`, `past_key_values.${layer}.value`);
      outputs.push(`present.${layer}.key`, `present.${layer}.value`);
    }
  });
  return { inputs, outputs };
}

/** Exact decoder names for a SmolVLM (llama-style) text model with this many layers. */
export function smolvlmDecoderIo(layers: number): GraphIo {
  return lfm2VlDecoderIo(Array.from({ length: layers }, () => 'full_attention' as const));
}

/** The bits of config.json that pin the decoder's cache layout. */
export interface TextModelFacts {
  layerTypes?: Lfm2LayerType[];
  numHiddenLayers?: number;
}

/** Reads the cache layout from a parsed config.json; missing or odd fields give undefined. */
export function textModelFacts(config: unknown): TextModelFacts {
  const text = (config as { text_config?: Record<string, unknown> } | undefined)?.text_config ?? {};
  const facts: TextModelFacts = {};
  const types = text.layer_types;
  if (Array.isArray(types) && types.length > 0 && types.every((t) => t === 'conv' || t === 'full_attention')) {
    facts.layerTypes = types as Lfm2LayerType[];
  }
  if (typeof text.num_hidden_layers === 'number' && Number.isInteger(text.num_hidden_layers) && text.num_hidden_layers > 0) {
    facts.numHiddenLayers = text.num_hidden_layers;
  }
  return facts;
}

/**
 * Problems with one graph's names, each naming the offending input or output; empty when the
 * graph fits. With `facts` from config.json the decoder must match exactly; without them it must
 * at least have a consistent cache layout.
 */
export function checkGraphIo(architecture: Architecture, graph: GraphName, actual: GraphIo, facts: TextModelFacts = {}): string[] {
  if (graph !== 'decoder_model_merged') {
    const expected = FIXED_GRAPHS[architecture][graph];
    return compareNames(expected, actual, expected.optionalInputs);
  }
  const exact = expectedDecoderIo(architecture, facts);
  if (exact) return compareNames(exact, actual, DECODER_OPTIONAL_INPUTS[architecture]);
  return checkDecoderStructure(architecture, actual);
}

function expectedDecoderIo(architecture: Architecture, facts: TextModelFacts): GraphIo | undefined {
  if (architecture === 'lfm2-vl') return facts.layerTypes ? lfm2VlDecoderIo(facts.layerTypes) : undefined;
  return facts.numHiddenLayers ? smolvlmDecoderIo(facts.numHiddenLayers) : undefined;
}

function compareNames(expected: GraphIo, actual: GraphIo, optionalInputs: string[]): string[] {
  const problems: string[] = [];
  const sides: Array<[kind: string, want: string[], have: string[], optional: string[]]> = [
    ['input', expected.inputs, actual.inputs, optionalInputs],
    ['output', expected.outputs, actual.outputs, []],
  ];
  for (const [kind, want, have, optional] of sides) {
    const unexpected = have.filter((name) => !want.includes(name) && !optional.includes(name));
    const missing = want.filter((n) => !have.includes(n));
    for (const name of missing) {
      // One missing and one extra name are the same slot renamed; otherwise pair by spelling.
      const hint = missing.length === 1 && unexpected.length === 1 ? unexpected[0] : closest(name, unexpected);
      problems.push(`${kind} "${name}" is missing${hint ? ` (the graph has "${hint}" instead)` : ''}`);
    }
    for (const name of unexpected) problems.push(`unexpected ${kind} "${name}"`);
  }
  return problems;
}

/** Without config facts: past/present caches must pair up and cover layers 0..n-1 once each. */
function checkDecoderStructure(architecture: Architecture, actual: GraphIo): string[] {
  const problems = compareNames(DECODER_REQUIRED, { inputs: actual.inputs.filter(isFixedDecoderName), outputs: actual.outputs.filter((n) => n === 'logits') }, DECODER_OPTIONAL_INPUTS[architecture]);
  const inputLayers = new Map<number, string>();
  const outputLayers = new Map<number, string>();
  const convAllowed = architecture === 'lfm2-vl';
  for (const name of actual.inputs) {
    if (isFixedDecoderName(name) || DECODER_OPTIONAL_INPUTS[architecture].includes(name)) continue;
    const conv = /^past_conv\.(\d+)$/.exec(name);
    const kv = /^past_key_values\.(\d+)\.(key|value)$/.exec(name);
    if (conv && convAllowed) inputLayers.set(Number(conv[1]), inputLayers.has(Number(conv[1])) ? 'duplicate' : 'conv');
    else if (kv) inputLayers.set(Number(kv[1]), mergeKv(inputLayers.get(Number(kv[1])), kv[2] as string));
    else problems.push(`unexpected input "${name}"`);
  }
  for (const name of actual.outputs) {
    if (name === 'logits') continue;
    const conv = /^present_conv\.(\d+)$/.exec(name);
    const kv = /^present\.(\d+)\.(key|value)$/.exec(name);
    if (conv && convAllowed) outputLayers.set(Number(conv[1]), outputLayers.has(Number(conv[1])) ? 'duplicate' : 'conv');
    else if (kv) outputLayers.set(Number(kv[1]), mergeKv(outputLayers.get(Number(kv[1])), kv[2] as string));
    else problems.push(`unexpected output "${name}"`);
  }
  if (inputLayers.size === 0) problems.push('the decoder has no cache inputs (past_conv.N / past_key_values.N.key|value)');
  for (let layer = 0; layer < inputLayers.size; layer++) {
    const kind = inputLayers.get(layer);
    if (kind === undefined) problems.push(`no cache input for layer ${layer} (layers must be numbered 0..${inputLayers.size - 1})`);
    else if (kind === 'key' || kind === 'value') problems.push(`layer ${layer} has only the ${kind} cache input (past_key_values.${layer}.key and .value must both exist)`);
    else if (kind === 'duplicate') problems.push(`layer ${layer} has more than one kind of cache input`);
    else if (outputLayers.get(layer) !== kind) problems.push(`cache output for layer ${layer} does not match its input (${kind === 'conv' ? `present_conv.${layer}` : `present.${layer}.key/value`} expected)`);
  }
  for (const layer of outputLayers.keys()) {
    if (!inputLayers.has(layer)) problems.push(`cache output for layer ${layer} has no matching input`);
  }
  return problems;
}

function isFixedDecoderName(name: string): boolean {
  return DECODER_REQUIRED.inputs.includes(name);
}

function mergeKv(previous: string | undefined, part: string): string {
  if (previous === undefined) return part;
  if ((previous === 'key' && part === 'value') || (previous === 'value' && part === 'key')) return 'kv';
  return 'duplicate';
}

/** The unexpected name that differs least from a missing one, to say "X instead of Y". */
function closest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(3, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
