/**
 * The two changes that make a downloaded q4 decoder fast on a CPU (figures in
 * docs/performance.md), made on the graph's bytes:
 *
 * - `accuracy_level=4` on every `MatMulNBits` that lacks it: ONNX Runtime then multiplies the
 *   4-bit weights with int8 activations (its CompInt8 kernels) instead of unpacking every weight
 *   to fp32 for each token. transformers.js's own quantize.py writes no accuracy_level.
 * - The fp32 output layer (65536 x 1024, 268 MB: 60% of the bytes a decode step reads in the q4
 *   export) as an 8-bit `MatMulNBits`, block 32. 8 bits, not 4: the output layer sets the logits
 *   directly, llama.cpp keeps it at 6 bits (Q6_K) even for Q4_0 models, and MatMulNBits offers
 *   2, 4 or 8; Liquid AI's newer exports chose int8 too (docs/q4-export-facts.md).
 *
 * - Each depthwise 1-D `Conv` (LFM2's short convolutions: kernel 3 over 1,024 channels, one group
 *   per channel) as K shifted slices multiplied by their tap and summed: ONNX Runtime's Conv runs
 *   a tiny GEMM per group, 170 µs a layer for a decode step's four positions, 8% of the step.
 *
 * Every other byte of the graph is kept as it was (src/engine/vlm/protobufWire.ts); external
 * data stays where it is, the new weights are stored inline.
 */
import { open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { externalDataLocationProblem } from '../../modelFolder/folderValidation';
import { bytesField, fieldsOf, int64sOf, message, textOf, varintField, type WireField } from './protobufWire';

/** ONNX field numbers (onnx.proto) of the messages read here. */
const MODEL = { graph: 7 };
const GRAPH = { node: 1, initializer: 5, input: 11, output: 12 };
const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 };
const ATTRIBUTE = { name: 1, i: 3, s: 4, ints: 8, type: 20 };
const ATTRIBUTE_INT = 2;
const TENSOR = { dims: 1, dataType: 2, name: 8, rawData: 9, externalData: 13 };
const DATA_TYPE = { float: 1, uint8: 2, int64: 7 };
const ENTRY = { key: 1, value: 2 };
const VALUE_INFO = { name: 1, type: 2 };
const TYPE_TENSOR = 1;
const TENSOR_TYPE_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM_VALUE = 1;

/** One byte per weight: the packing below (B's last dimension is the block size) assumes 8 bits. */
const OUTPUT_LAYER_BITS = 8;
const BLOCK = 32;
const ACCURACY_INT8 = 4;

interface Node {
  field: WireField;
  fields: WireField[];
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
}

interface Initializer {
  field: WireField;
  fields: WireField[];
  name: string;
  dims: number[];
  dataType: number;
}

export interface DecoderRewrite {
  /**
   * The graph. `lastPositionOnly`: the output layer reads only the last position, as llama.cpp's
   * does, instead of giving logits for every prompt position (generation reads only the last):
   * a prefill of 2,300 tokens then skips 19% of its multiplies and 600 MB of logits.
   */
  bytes(options: { lastPositionOnly: boolean }): Uint8Array;
  /** MatMulNBits nodes given accuracy_level 4. */
  accuracyLevelNodes: number;
  /** Depthwise Conv nodes written as slices, multiplies and adds. */
  depthwiseConvNodes: number;
  /** The output layer's [rows, columns] when it was quantised. */
  outputLayer?: { rows: number; columns: number; bits: number };
}

const strings = (fields: WireField[], number: number) => fields.filter((f) => f.number === number).map(textOf);
const textField = (fields: WireField[], number: number) => strings(fields, number)[0] ?? '';

function parseNode(field: WireField): Node {
  const fields = fieldsOf(field.payload);
  return { field, fields, opType: textField(fields, NODE.opType), domain: textField(fields, NODE.domain), inputs: strings(fields, NODE.input), outputs: strings(fields, NODE.output) };
}

function parseInitializer(field: WireField): Initializer {
  const fields = fieldsOf(field.payload);
  const dataType = Number(fields.find((f) => f.number === TENSOR.dataType)?.value ?? 0n);
  return { field, fields, name: textField(fields, TENSOR.name), dims: int64sOf(fields, TENSOR.dims), dataType };
}

function attribute(node: Node, name: string): WireField[] | undefined {
  for (const field of node.fields.filter((f) => f.number === NODE.attribute)) {
    const fields = fieldsOf(field.payload);
    if (textField(fields, ATTRIBUTE.name) === name) return fields;
  }
  return undefined;
}

const intAttribute = (name: string, value: number) =>
  bytesField(NODE.attribute, message(bytesField(ATTRIBUTE.name, name), varintField(ATTRIBUTE.i, value), varintField(ATTRIBUTE.type, ATTRIBUTE_INT)));

const ints = (node: Node, name: string) => {
  const fields = attribute(node, name);
  return fields ? int64sOf(fields, ATTRIBUTE.ints) : undefined;
};
const intOf = (node: Node, name: string) => {
  const value = attribute(node, name)?.find((f) => f.number === ATTRIBUTE.i)?.value;
  return value === undefined ? undefined : Number(value);
};

/** The node with accuracy_level 4, or undefined when it already has a level set. */
function withAccuracyLevel(node: Node): Uint8Array | undefined {
  if ((intOf(node, 'accuracy_level') ?? 0) !== 0) return undefined;
  const kept = node.fields.filter((f) => !(f.number === NODE.attribute && textField(fieldsOf(f.payload), ATTRIBUTE.name) === 'accuracy_level'));
  return bytesField(GRAPH.node, message(...kept.map((f) => f.raw), intAttribute('accuracy_level', ACCURACY_INT8)));
}

/** The fp32 weight [channels, 1, taps] of a bias-free depthwise 1-D Conv with ONNX's default stride, dilation and padding. */
function depthwiseConvWeight(node: Node, initializers: Map<string, Initializer>): Initializer | undefined {
  if (node.opType !== 'Conv' || node.domain !== '' || node.inputs.length !== 2) return undefined;
  const weight = initializers.get(node.inputs[1]!);
  if (weight?.dataType !== DATA_TYPE.float || weight.dims.length !== 3 || weight.dims[1] !== 1) return undefined;
  // floatsOf reads raw or external data; weights written as float_data are left to ORT.
  if (!weight.fields.some((f) => f.number === TENSOR.rawData || f.number === TENSOR.externalData)) return undefined;
  const [channels, , taps] = weight.dims as [number, number, number];
  const all = (values: number[] | undefined, expected: number) => values === undefined || values.every((v) => v === expected);
  const autoPad = attribute(node, 'auto_pad')?.find((f) => f.number === ATTRIBUTE.s);
  if (autoPad && textOf(autoPad) !== 'NOTSET') return undefined;
  const kernel = ints(node, 'kernel_shape');
  if (intOf(node, 'group') !== channels || (kernel && (kernel.length !== 1 || kernel[0] !== taps))) return undefined;
  return all(ints(node, 'pads'), 0) && all(ints(node, 'strides'), 1) && all(ints(node, 'dilations'), 1) ? weight : undefined;
}

const int64Tensor = (name: string, value: bigint) => tensor(name, [1], DATA_TYPE.int64, new Uint8Array(BigInt64Array.of(value).buffer));
const INT64_MAX = 2n ** 63n - 1n;

function plainNode(opType: string, name: string, inputs: string[], output: string): Uint8Array {
  return bytesField(GRAPH.node, message(...inputs.map((input) => bytesField(NODE.input, input)), bytesField(NODE.output, output), bytesField(NODE.name, name), bytesField(NODE.opType, opType)));
}

/**
 * y[:, c, t] = sum over k of w[c, 0, k] * x[:, c, t + k]: for each tap k, x sliced from k to
 * (k - taps + 1) from the end, times w[:, k] as a [channels, 1] column, then summed.
 */
async function depthwiseConvAsTaps(node: Node, weight: Initializer, index: number, graphPath: string): Promise<{ nodes: Uint8Array; initializers: Uint8Array[] }> {
  const [channels, , taps] = weight.dims as [number, number, number];
  const values = await floatsOf(weight, graphPath);
  const prefix = `loupe_depthwise_conv.${index}`;
  const nodes: Uint8Array[] = [];
  const initializers = [int64Tensor(`${prefix}.axes`, 2n)];
  let sum = '';
  for (let k = 0; k < taps; k++) {
    const tap = Float32Array.from({ length: channels }, (_, c) => values[c * taps + k]!);
    initializers.push(
      int64Tensor(`${prefix}.starts.${k}`, BigInt(k)),
      int64Tensor(`${prefix}.ends.${k}`, k === taps - 1 ? INT64_MAX : BigInt(k - taps + 1)),
      tensor(`${prefix}.tap.${k}`, [channels, 1], DATA_TYPE.float, new Uint8Array(tap.buffer)),
    );
    nodes.push(plainNode('Slice', `${prefix}/Slice.${k}`, [node.inputs[0]!, `${prefix}.starts.${k}`, `${prefix}.ends.${k}`, `${prefix}.axes`], `${prefix}/shifted.${k}`));
    const product = k === 0 && taps === 1 ? node.outputs[0]! : `${prefix}/product.${k}`;
    nodes.push(plainNode('Mul', `${prefix}/Mul.${k}`, [`${prefix}/shifted.${k}`, `${prefix}.tap.${k}`], product));
    if (k === 0) sum = product;
    else {
      const next = k === taps - 1 ? node.outputs[0]! : `${prefix}/sum.${k}`;
      nodes.push(plainNode('Add', `${prefix}/Add.${k}`, [sum, product], next));
      sum = next;
    }
  }
  return { nodes: message(...nodes), initializers };
}

/** The last dimension of the `logits` output: the vocabulary the output layer produces. */
function vocabularyOf(graph: WireField[]): number | undefined {
  for (const output of graph.filter((f) => f.number === GRAPH.output)) {
    const info = fieldsOf(output.payload);
    if (textField(info, VALUE_INFO.name) !== 'logits') continue;
    const type = info.find((f) => f.number === VALUE_INFO.type);
    const tensor = type && fieldsOf(type.payload).find((f) => f.number === TYPE_TENSOR);
    const shape = tensor && fieldsOf(tensor.payload).find((f) => f.number === TENSOR_TYPE_SHAPE);
    const dims = shape ? fieldsOf(shape.payload).filter((f) => f.number === SHAPE_DIM) : [];
    const last = dims.at(-1);
    const value = last && fieldsOf(last.payload).find((f) => f.number === DIM_VALUE);
    return value ? Number(value.value) : undefined;
  }
  return undefined;
}

export type WeightLayout = 'vocabByHidden' | 'hiddenByVocab';

/** An ONNX Transpose of a matrix: no perm (reverses the axes) or perm [1, 0]. */
function isMatrixTranspose(node: Node): boolean {
  if (node.opType !== 'Transpose' || node.domain !== '') return false;
  const axes = ints(node, 'perm') ?? [];
  return axes.length === 0 || (axes.length === 2 && axes[0] === 1 && axes[1] === 0);
}

interface OutputLayer {
  matmul: Node;
  transpose?: Node;
  weight: Initializer;
  /** [vocabulary, hidden] behind a Transpose (a tied embedding table), or [hidden, vocabulary]. */
  layout: WeightLayout;
}

/** The fp32 MatMul producing the vocabulary's logits, as the export writes it (tied through a Transpose, or not). */
function findOutputLayer(nodes: Node[], initializers: Map<string, Initializer>, vocabulary: number): OutputLayer | undefined {
  const producers = new Map(nodes.flatMap((node) => node.outputs.map((name) => [name, node] as const)));
  const found: OutputLayer[] = [];
  for (const matmul of nodes.filter((node) => node.opType === 'MatMul' && node.domain === '')) {
    const direct = initializers.get(matmul.inputs[1] ?? '');
    if (direct?.dataType === DATA_TYPE.float && direct.dims.length === 2 && direct.dims[1] === vocabulary) {
      found.push({ matmul, weight: direct, layout: 'hiddenByVocab' });
      continue;
    }
    const transpose = producers.get(matmul.inputs[1] ?? '');
    const table = transpose && isMatrixTranspose(transpose) ? initializers.get(transpose.inputs[0] ?? '') : undefined;
    if (transpose && table?.dataType === DATA_TYPE.float && table.dims.length === 2 && table.dims[0] === vocabulary) {
      found.push({ matmul, transpose, weight: table, layout: 'vocabByHidden' });
    }
  }
  return found.length === 1 ? found[0] : undefined;
}

/** An initializer's fp32 values, inline or from its external data file (which must be inside the graph's folder). */
async function floatsOf(initializer: Initializer, graphPath: string): Promise<Float32Array> {
  const count = initializer.dims.reduce((a, b) => a * b, 1);
  const raw = initializer.fields.find((f) => f.number === TENSOR.rawData);
  if (raw) {
    // A view where the bytes are aligned, a copy where they are not: 268 MB is not copied twice.
    const bytes = raw.payload.byteOffset % 4 === 0 ? raw.payload : new Uint8Array(raw.payload);
    return new Float32Array(bytes.buffer, bytes.byteOffset, count);
  }
  const entries = new Map(
    initializer.fields
      .filter((f) => f.number === TENSOR.externalData)
      .map((f) => {
        const entry = fieldsOf(f.payload);
        return [textField(entry, ENTRY.key), textField(entry, ENTRY.value)] as const;
      }),
  );
  const location = entries.get('location') ?? '';
  const unsafe = externalDataLocationProblem(location);
  if (unsafe) throw new Error(`the weights ${initializer.name} are not in a file beside the graph (${unsafe})`);
  const bytes = new Uint8Array(count * 4);
  const file = await open(join(dirname(graphPath), location), 'r');
  try {
    const { bytesRead } = await file.read(bytes, 0, bytes.length, Number(entries.get('offset') ?? 0));
    if (bytesRead !== bytes.length) throw new Error(`${location} ends before the weights ${initializer.name} do`);
  } finally {
    await file.close();
  }
  return new Float32Array(bytes.buffer);
}

/**
 * Symmetric blocks of 32 along the input dimension, zero point 2^(bits-1) left implicit, in
 * MatMulNBits's layout: B [rows, blocks, 32 bytes], scales [rows * blocks].
 */
export function quantizeRows(weight: Float32Array, rows: number, columns: number, layout: WeightLayout): { packed: Uint8Array; scales: Float32Array } {
  const blocks = Math.ceil(columns / BLOCK);
  const packed = new Uint8Array(rows * blocks * BLOCK);
  const scales = new Float32Array(rows * blocks);
  const zero = 1 << (OUTPUT_LAYER_BITS - 1);
  const value = layout === 'vocabByHidden' ? (row: number, k: number) => weight[row * columns + k]! : (row: number, k: number) => weight[k * rows + row]!;
  const block = new Float32Array(BLOCK);
  for (let row = 0; row < rows; row++) {
    for (let b = 0; b < blocks; b++) {
      let absMax = 0;
      for (let j = 0; j < BLOCK; j++) {
        const k = b * BLOCK + j;
        block[j] = k < columns ? value(row, k) : 0;
        absMax = Math.max(absMax, Math.abs(block[j]!));
      }
      const scale = absMax > 0 ? absMax / (zero - 1) : 1;
      scales[row * blocks + b] = scale;
      const base = (row * blocks + b) * BLOCK;
      for (let j = 0; j < BLOCK; j++) packed[base + j] = Math.min(2 * zero - 1, Math.max(0, Math.round(block[j]! / scale) + zero));
    }
  }
  return { packed, scales };
}

function tensor(name: string, dims: number[], dataType: number, raw: Uint8Array): Uint8Array {
  return bytesField(GRAPH.initializer, message(...dims.map((d) => varintField(TENSOR.dims, d)), varintField(TENSOR.dataType, dataType), bytesField(TENSOR.name, name), bytesField(TENSOR.rawData, raw)));
}

const LAST_POSITION = { output: 'loupe_last_position', starts: 'loupe_last_position.starts', ends: 'loupe_last_position.ends', axes: 'loupe_last_position.axes' };

/** hidden[:, -1:, :], and the constants it needs. */
function lastPositionSlice(hidden: string): { node: Uint8Array; constants: Uint8Array[] } {
  const node = bytesField(
    GRAPH.node,
    message(
      ...[hidden, LAST_POSITION.starts, LAST_POSITION.ends, LAST_POSITION.axes].map((name) => bytesField(NODE.input, name)),
      bytesField(NODE.output, LAST_POSITION.output),
      bytesField(NODE.name, 'loupe_last_position_Slice'),
      bytesField(NODE.opType, 'Slice'),
    ),
  );
  return { node, constants: [int64Tensor(LAST_POSITION.starts, -1n), int64Tensor(LAST_POSITION.ends, INT64_MAX), int64Tensor(LAST_POSITION.axes, 1n)] };
}

function quantizedOutputNode(layer: OutputLayer, hidden: string, rows: number, columns: number, weights: string, scales: string): Uint8Array {
  return bytesField(
    GRAPH.node,
    message(
      bytesField(NODE.input, hidden),
      bytesField(NODE.input, weights),
      bytesField(NODE.input, scales),
      ...layer.matmul.outputs.map((name) => bytesField(NODE.output, name)),
      bytesField(NODE.name, 'loupe_output_layer_MatMulNBits'),
      bytesField(NODE.opType, 'MatMulNBits'),
      intAttribute('K', columns),
      intAttribute('N', rows),
      intAttribute('bits', OUTPUT_LAYER_BITS),
      intAttribute('block_size', BLOCK),
      intAttribute('accuracy_level', ACCURACY_INT8),
      bytesField(NODE.domain, 'com.microsoft'),
    ),
  );
}

/**
 * The rewritten graph, or undefined when there is nothing to change (no MatMulNBits without a
 * level, no depthwise Conv, no fp32 output layer): a graph without MatMulNBits is not a 4-bit
 * decoder and is left alone.
 */
export async function rewriteDecoder(graphPath: string): Promise<DecoderRewrite | undefined> {
  const modelFields = fieldsOf(await readFile(graphPath));
  const graphField = modelFields.find((f) => f.number === MODEL.graph);
  if (!graphField) throw new Error('the file holds no ONNX graph');
  const graph = fieldsOf(graphField.payload);
  const nodes = graph.filter((f) => f.number === GRAPH.node).map(parseNode);
  if (!nodes.some((node) => node.opType === 'MatMulNBits')) return undefined;
  const initializers = new Map(graph.filter((f) => f.number === GRAPH.initializer).map(parseInitializer).map((init) => [init.name, init]));

  const replaced = new Map<WireField, Uint8Array>();
  for (const node of nodes.filter((n) => n.opType === 'MatMulNBits' && n.domain === 'com.microsoft')) {
    const rewritten = withAccuracyLevel(node);
    if (rewritten) replaced.set(node.field, rewritten);
  }
  const accuracyLevelNodes = replaced.size;

  const convInitializers: Uint8Array[] = [];
  const convWeights: Initializer[] = [];
  for (const node of nodes) {
    const weight = depthwiseConvWeight(node, initializers);
    if (!weight) continue;
    const taps = await depthwiseConvAsTaps(node, weight, convWeights.length, graphPath);
    replaced.set(node.field, taps.nodes);
    convInitializers.push(...taps.initializers);
    convWeights.push(weight);
  }
  const depthwiseConvNodes = convWeights.length;
  // The taps replace the weights, unless another node reads them too.
  const unusedWeights = convWeights.filter((weight) => !nodes.some((node) => !replaced.has(node.field) && node.inputs.includes(weight.name))).map((weight) => weight.field);

  const vocabulary = vocabularyOf(graph);
  const layer = vocabulary ? findOutputLayer(nodes, initializers, vocabulary) : undefined;
  const head = layer && (await quantizedHead(layer, graph, nodes, graphPath));
  if (accuracyLevelNodes === 0 && depthwiseConvNodes === 0 && !head) return undefined;

  const bytes = ({ lastPositionOnly }: { lastPositionOnly: boolean }) => {
    const fieldBytes = (f: WireField) => (f === head?.field ? message(...head.nodes(lastPositionOnly)) : (replaced.get(f) ?? f.raw));
    const kept = graph.filter((f) => !head?.dropped.includes(f) && !unusedWeights.includes(f));
    const graphBytes = message(...kept.map(fieldBytes), ...convInitializers, ...(head?.initializers(lastPositionOnly) ?? []));
    return message(...modelFields.map((f) => (f === graphField ? bytesField(MODEL.graph, graphBytes) : f.raw)));
  };
  return { bytes, accuracyLevelNodes, depthwiseConvNodes, ...(head && { outputLayer: head.outputLayer }) };
}

interface QuantizedHead {
  /** The output layer's MatMul, whose place the new nodes take. */
  field: WireField;
  nodes(lastPositionOnly: boolean): Uint8Array[];
  initializers(lastPositionOnly: boolean): Uint8Array[];
  /** The Transpose and fp32 table, when nothing else reads them. */
  dropped: WireField[];
  outputLayer: NonNullable<DecoderRewrite['outputLayer']>;
}

async function quantizedHead(layer: OutputLayer, graph: WireField[], nodes: Node[], graphPath: string): Promise<QuantizedHead> {
  const [rows, columns] = layer.layout === 'vocabByHidden' ? [layer.weight.dims[0]!, layer.weight.dims[1]!] : [layer.weight.dims[1]!, layer.weight.dims[0]!];
  const { packed, scales } = quantizeRows(await floatsOf(layer.weight, graphPath), rows, columns, layer.layout);
  const names = { weights: 'loupe_output_layer.q8.B', scales: 'loupe_output_layer.q8.scales' };
  const weights = [
    tensor(names.weights, [rows, Math.ceil(columns / BLOCK), BLOCK], DATA_TYPE.uint8, packed),
    tensor(names.scales, [scales.length], DATA_TYPE.float, new Uint8Array(scales.buffer)),
  ];
  const hidden = layer.matmul.inputs[0]!;
  const slice = lastPositionSlice(hidden);
  const graphEnds = new Set(graph.filter((f) => f.number === GRAPH.input || f.number === GRAPH.output).map((f) => textField(fieldsOf(f.payload), VALUE_INFO.name)));
  const stillUsed = (name: string, except: Node[]) => graphEnds.has(name) || nodes.some((node) => !except.includes(node) && node.inputs.includes(name));
  const removed = [layer.matmul];
  if (layer.transpose && !stillUsed(layer.transpose.outputs[0]!, removed)) removed.push(layer.transpose);
  const dropped = removed.filter((node) => node !== layer.matmul).map((node) => node.field);
  if (!stillUsed(layer.weight.name, removed)) dropped.push(layer.weight.field);
  return {
    field: layer.matmul.field,
    nodes: (last) => (last ? [slice.node, quantizedOutputNode(layer, LAST_POSITION.output, rows, columns, names.weights, names.scales)] : [quantizedOutputNode(layer, hidden, rows, columns, names.weights, names.scales)]),
    initializers: (last) => (last ? [...weights, ...slice.constants] : weights),
    dropped,
    outputLayer: { rows, columns, bits: OUTPUT_LAYER_BITS },
  };
}
