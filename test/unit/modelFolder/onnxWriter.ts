/**
 * Writes small but real ONNX files (protobuf-encoded ModelProto) for tests that need graphs the
 * fixtures do not have: external data in odd places, tensors inside Constant nodes. onnxruntime
 * loads what this writes (checked in onnxHeader.test.ts), so these are not stand-ins.
 */

const FLOAT = 1;
const UINT8 = 2;
const INT64 = 7;
export const ELEM = { float: FLOAT, uint8: UINT8, int64: INT64 } as const;

class Proto {
  private readonly parts: Buffer[] = [];

  varint(field: number, value: number): this {
    this.parts.push(key(field, 0), varint(value));
    return this;
  }

  bytes(field: number, value: Buffer | string): this {
    const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.parts.push(key(field, 2), varint(data.length), data);
    return this;
  }

  message(field: number, value: Proto): this {
    return this.bytes(field, value.build());
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function key(field: number, wire: number): Buffer {
  return varint(field * 8 + wire);
}

function varint(value: number): Buffer {
  const out: number[] = [];
  let v = value;
  while (v >= 128) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

export interface ValueSpec {
  name: string;
  elem: number;
  /** Numbers are fixed sizes, strings symbolic dimensions. */
  dims: Array<number | string>;
}

export interface TensorSpec {
  name: string;
  elem: number;
  dims: number[];
  /** Inline bytes, or an external-data reference. */
  raw?: Buffer;
  external?: { location: string; offset?: number; length?: number };
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  /** A tensor attribute (Constant's `value`). */
  tensorAttribute?: { name: string; tensor: TensorSpec };
  intAttribute?: { name: string; value: number };
  /** More integer attributes, by name. */
  ints?: Record<string, number>;
  /** The operator's domain, e.g. `com.microsoft` for onnxruntime's contrib ops. */
  domain?: string;
}

export interface GraphSpec {
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
  initializers?: TensorSpec[];
  /** Operator sets beyond the default one (opset 17), by domain. */
  opsets?: Record<string, number>;
}

function valueInfo(spec: ValueSpec): Proto {
  const shape = new Proto();
  for (const dim of spec.dims) shape.message(1, typeof dim === 'number' ? new Proto().varint(1, dim) : new Proto().bytes(2, dim));
  const tensorType = new Proto().varint(1, spec.elem).message(2, shape);
  return new Proto().bytes(1, spec.name).message(2, new Proto().message(1, tensorType));
}

function tensor(spec: TensorSpec): Proto {
  const proto = new Proto();
  for (const dim of spec.dims) proto.varint(1, dim);
  proto.varint(2, spec.elem).bytes(8, spec.name);
  if (spec.raw) proto.bytes(9, spec.raw);
  if (spec.external) {
    const entry = (k: string, v: string) => new Proto().bytes(1, k).bytes(2, v);
    proto.message(13, entry('location', spec.external.location));
    if (spec.external.offset !== undefined) proto.message(13, entry('offset', String(spec.external.offset)));
    if (spec.external.length !== undefined) proto.message(13, entry('length', String(spec.external.length)));
    proto.varint(14, 1);
  }
  return proto;
}

function node(spec: NodeSpec, index: number): Proto {
  const proto = new Proto();
  for (const input of spec.inputs) proto.bytes(1, input);
  for (const output of spec.outputs) proto.bytes(2, output);
  proto.bytes(3, `${spec.op}_${index}`).bytes(4, spec.op);
  if (spec.tensorAttribute) {
    // AttributeProto: name=1, t=5, type=20 (TENSOR = 4)
    proto.message(5, new Proto().bytes(1, spec.tensorAttribute.name).message(5, tensor(spec.tensorAttribute.tensor)).varint(20, 4));
  }
  const ints = { ...(spec.intAttribute && { [spec.intAttribute.name]: spec.intAttribute.value }), ...spec.ints };
  for (const [name, value] of Object.entries(ints)) {
    // AttributeProto: name=1, i=3, type=20 (INT = 2)
    proto.message(5, new Proto().bytes(1, name).varint(3, value).varint(20, 2));
  }
  if (spec.domain) proto.bytes(7, spec.domain);
  return proto;
}

/** A complete ModelProto (IR 8, opset 17, plus `opsets`). */
export function onnxModel(spec: GraphSpec): Buffer {
  const graph = new Proto();
  spec.nodes.forEach((n, i) => graph.message(1, node(n, i)));
  graph.bytes(2, 'test_graph');
  for (const init of spec.initializers ?? []) graph.message(5, tensor(init));
  for (const input of spec.inputs) graph.message(11, valueInfo(input));
  for (const output of spec.outputs) graph.message(12, valueInfo(output));
  const model = new Proto().varint(1, 8).bytes(2, 'loupe-tests').message(7, graph).message(8, new Proto().bytes(1, '').varint(2, 17));
  for (const [domain, version] of Object.entries(spec.opsets ?? {})) model.message(8, new Proto().bytes(1, domain).varint(2, version));
  return model.build();
}

/**
 * An embed_tokens graph (input_ids -> inputs_embeds) whose embedding table lives in external data
 * at `location`; returns the graph and the bytes the data file must hold.
 */
export function embedTokensWithExternalTable(location: string, vocab = 8, hidden = 4): { graph: Buffer; data: Buffer } {
  const data = Buffer.alloc(vocab * hidden * 4);
  for (let i = 0; i < vocab * hidden; i++) data.writeFloatLE(i / 10, i * 4);
  const graph = onnxModel({
    inputs: [{ name: 'input_ids', elem: INT64, dims: ['batch_size', 'sequence_length'] }],
    outputs: [{ name: 'inputs_embeds', elem: FLOAT, dims: ['batch_size', 'sequence_length', hidden] }],
    initializers: [{ name: 'embed_weight', elem: FLOAT, dims: [vocab, hidden], external: { location, offset: 0, length: data.length } }],
    nodes: [{ op: 'Gather', inputs: ['embed_weight', 'input_ids'], outputs: ['inputs_embeds'] }],
  });
  return { graph, data };
}
