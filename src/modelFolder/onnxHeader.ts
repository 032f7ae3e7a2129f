/**
 * Reads what import validation needs from an ONNX file without loading it: the graph's input and
 * output names and every external-data reference (tensor name, location, offset, length).
 *
 * Why a minimal protobuf walk instead of onnxruntime or protobufjs: creating an InferenceSession
 * loads the weights and follows external-data paths before we could vet them, and protobufjs would
 * need the whole file in memory plus a copy of onnx.proto. The walk reads only field headers and
 * skips tensor payloads by length, so a 100 MB graph with inline weights costs a few small reads.
 *
 * Field numbers are from onnx.proto (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, SparseTensorProto, ValueInfoProto, FunctionProto, StringStringEntryProto).
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export interface ExternalDataRef {
  /** Name of the tensor whose bytes live outside the graph file. */
  tensor: string;
  /** The `location` entry exactly as written in the file. */
  location: string;
  offset: number;
  /** Undefined when the file does not say (the tensor then runs to the end of the data file). */
  length?: number;
}

export interface OnnxGraphHeader {
  /** Graph inputs that are fed at run time (initializers listed as inputs are left out, as onnxruntime does). */
  inputs: string[];
  outputs: string[];
  externalData: ExternalDataRef[];
}

export class OnnxFormatError extends Error {}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;
const MAX_DEPTH = 64;
const BLOCK = 64 * 1024;

/** Random-access byte reader over a file that keeps a few blocks cached. */
class FileBytes {
  private readonly blocks = new Map<number, Buffer>();

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  private async block(index: number): Promise<Buffer> {
    let block = this.blocks.get(index);
    if (!block) {
      const length = Math.min(BLOCK, this.size - index * BLOCK);
      block = Buffer.alloc(length);
      await this.handle.read(block, 0, length, index * BLOCK);
      if (this.blocks.size >= 32) this.blocks.delete(this.blocks.keys().next().value as number);
      this.blocks.set(index, block);
    }
    return block;
  }

  async byte(position: number): Promise<number> {
    const index = Math.floor(position / BLOCK);
    return (await this.block(index))[position - index * BLOCK] as number;
  }

  async bytes(position: number, length: number): Promise<Buffer> {
    const index = Math.floor(position / BLOCK);
    if (Math.floor((position + length - 1) / BLOCK) === index) {
      const offset = position - index * BLOCK;
      return (await this.block(index)).subarray(offset, offset + length);
    }
    const out = Buffer.alloc(length);
    await this.handle.read(out, 0, length, position);
    return out;
  }
}

interface Field {
  number: number;
  wire: number;
  /** For varints: the value. */
  value: number;
  /** For length-delimited fields: where the payload starts and ends. */
  start: number;
  end: number;
}

class ProtoWalker {
  constructor(
    private readonly file: FileBytes,
    private readonly path: string,
  ) {}

  private fail(position: number, what: string): never {
    throw new OnnxFormatError(`${this.path} is not a valid ONNX file (${what} at byte ${position})`);
  }

  private async varint(position: number, end: number): Promise<[number, number]> {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (position >= end) this.fail(position, 'truncated varint');
      const b = await this.file.byte(position++);
      result += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) return [result, position];
      multiplier *= 128;
    }
    this.fail(position, 'varint longer than 10 bytes');
  }

  /** Iterates the fields of a message occupying [start, end). */
  async *fields(start: number, end: number): AsyncGenerator<Field> {
    let position = start;
    while (position < end) {
      const [key, afterKey] = await this.varint(position, end);
      const number = Math.floor(key / 8);
      const wire = key % 8;
      if (number === 0) this.fail(position, 'field number 0');
      position = afterKey;
      if (wire === WIRE_VARINT) {
        const [value, next] = await this.varint(position, end);
        yield { number, wire, value, start: position, end: next };
        position = next;
      } else if (wire === WIRE_BYTES) {
        const [length, payloadStart] = await this.varint(position, end);
        const payloadEnd = payloadStart + length;
        if (payloadEnd > end) this.fail(position, `field ${number} runs past its message`);
        yield { number, wire, value: length, start: payloadStart, end: payloadEnd };
        position = payloadEnd;
      } else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
        position += wire === WIRE_FIXED64 ? 8 : 4;
        if (position > end) this.fail(position, 'truncated fixed-size field');
      } else {
        this.fail(position, `unsupported wire type ${wire}`);
      }
    }
  }

  async string(field: Field): Promise<string> {
    return (await this.file.bytes(field.start, field.end - field.start)).toString('utf8');
  }
}

/** Reads the header of one ONNX graph file. Throws OnnxFormatError for files that are not ONNX. */
export async function readOnnxHeader(path: string): Promise<OnnxGraphHeader> {
  // O_NONBLOCK: a FIFO named like a graph must not hang the reader; it is refused below.
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new OnnxFormatError(`${path} is not a regular file`);
    const { size } = info;
    if (size === 0) throw new OnnxFormatError(`${path} is empty (0 bytes): the download or copy is incomplete`);
    const walker = new ProtoWalker(new FileBytes(handle, size), path);
    return await walkModel(walker, size, path);
  } finally {
    await handle.close();
  }
}

async function walkModel(walker: ProtoWalker, size: number, path: string): Promise<OnnxGraphHeader> {
  const header: OnnxGraphHeader = { inputs: [], outputs: [], externalData: [] };
  const declaredInputs: string[] = [];
  const initializers = new Set<string>();
  let sawGraph = false;
  for await (const field of walker.fields(0, size)) {
    if (field.number === 7 && field.wire === WIRE_BYTES) {
      sawGraph = true;
      await walkGraph(walker, field, header, { declaredInputs, initializers }, 1);
    } else if (field.number === 25 && field.wire === WIRE_BYTES) {
      await walkFunction(walker, field, header, 1);
    }
  }
  if (!sawGraph) throw new OnnxFormatError(`${path} is not a valid ONNX file (no graph found)`);
  header.inputs = declaredInputs.filter((name) => !initializers.has(name));
  return header;
}

interface MainGraph {
  declaredInputs: string[];
  initializers: Set<string>;
}

async function walkGraph(walker: ProtoWalker, graph: Field, header: OnnxGraphHeader, main: MainGraph | undefined, depth: number): Promise<void> {
  if (depth > MAX_DEPTH) throw new OnnxFormatError('ONNX graph nesting is too deep');
  for await (const field of walker.fields(graph.start, graph.end)) {
    if (field.wire !== WIRE_BYTES) continue;
    switch (field.number) {
      case 1: // node
        await walkNode(walker, field, header, depth + 1);
        break;
      case 5: {
        // initializer
        const name = await walkTensor(walker, field, header);
        main?.initializers.add(name);
        break;
      }
      case 15: // sparse_initializer
        await walkSparseTensor(walker, field, header);
        break;
      case 11: // input
        if (main) main.declaredInputs.push(await valueInfoName(walker, field));
        break;
      case 12: // output
        if (main) header.outputs.push(await valueInfoName(walker, field));
        break;
    }
  }
}

async function walkFunction(walker: ProtoWalker, fn: Field, header: OnnxGraphHeader, depth: number): Promise<void> {
  for await (const field of walker.fields(fn.start, fn.end)) {
    if (field.number === 7 && field.wire === WIRE_BYTES) await walkNode(walker, field, header, depth + 1);
  }
}

async function walkNode(walker: ProtoWalker, node: Field, header: OnnxGraphHeader, depth: number): Promise<void> {
  for await (const field of walker.fields(node.start, node.end)) {
    if (field.number === 5 && field.wire === WIRE_BYTES) await walkAttribute(walker, field, header, depth + 1);
  }
}

/** Constant nodes and If/Loop subgraphs can carry tensors with external data too. */
async function walkAttribute(walker: ProtoWalker, attribute: Field, header: OnnxGraphHeader, depth: number): Promise<void> {
  for await (const field of walker.fields(attribute.start, attribute.end)) {
    if (field.wire !== WIRE_BYTES) continue;
    if (field.number === 5 || field.number === 10) await walkTensor(walker, field, header); // t, tensors
    else if (field.number === 6 || field.number === 11) await walkGraph(walker, field, header, undefined, depth + 1); // g, graphs
    else if (field.number === 22 || field.number === 23) await walkSparseTensor(walker, field, header); // sparse_tensor(s)
  }
}

async function walkSparseTensor(walker: ProtoWalker, sparse: Field, header: OnnxGraphHeader): Promise<void> {
  for await (const field of walker.fields(sparse.start, sparse.end)) {
    if ((field.number === 1 || field.number === 2) && field.wire === WIRE_BYTES) await walkTensor(walker, field, header);
  }
}

/** Returns the tensor's name; records its external-data entry if it has one. */
async function walkTensor(walker: ProtoWalker, tensor: Field, header: OnnxGraphHeader): Promise<string> {
  let name = '';
  const entries = new Map<string, string>();
  for await (const field of walker.fields(tensor.start, tensor.end)) {
    if (field.number === 8 && field.wire === WIRE_BYTES) name = await walker.string(field);
    else if (field.number === 13 && field.wire === WIRE_BYTES) {
      let key = '';
      let value = '';
      for await (const entry of walker.fields(field.start, field.end)) {
        if (entry.wire !== WIRE_BYTES) continue;
        if (entry.number === 1) key = await walker.string(entry);
        else if (entry.number === 2) value = await walker.string(entry);
      }
      entries.set(key, value);
    }
  }
  // Any tensor naming a location is checked, whatever its data_location says: a reader that
  // trusts data_location could still be pointed elsewhere by a crafted file.
  if (entries.has('location')) {
    const offset = entries.has('offset') ? Number(entries.get('offset')) : 0;
    const length = entries.has('length') ? Number(entries.get('length')) : undefined;
    header.externalData.push({ tensor: name, location: entries.get('location') as string, offset, length });
  }
  return name;
}

async function valueInfoName(walker: ProtoWalker, valueInfo: Field): Promise<string> {
  for await (const field of walker.fields(valueInfo.start, valueInfo.end)) {
    if (field.number === 1 && field.wire === WIRE_BYTES) return walker.string(field);
  }
  return '';
}
