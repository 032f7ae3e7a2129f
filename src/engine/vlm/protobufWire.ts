/**
 * Protocol Buffers at the wire level, in memory: enough to rewrite a few messages of an ONNX graph
 * while every other byte, known to us or not, is copied as it was. A schema-based library
 * (protobufjs with the npm `onnx-proto` schema) decodes only the fields its schema knows: that
 * schema stops at ONNX IR 8 and would drop a newer export's fields on the way back out.
 * (src/modelFolder/onnxHeader.ts walks the same format from a file, reading headers only.)
 */

export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

export interface WireField {
  number: number;
  wireType: number;
  /** The whole field, tag included: what is copied when the field is kept. */
  raw: Uint8Array;
  /** Varint fields: the value. */
  value: bigint;
  /** Length-delimited fields: the payload. */
  payload: Uint8Array;
}

function readVarint(bytes: Uint8Array, at: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  for (let pos = at; pos < bytes.length; pos++) {
    const byte = bytes[pos]!;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [value, pos + 1];
    shift += 7n;
    if (shift > 63n) break;
  }
  throw new Error('malformed protobuf: a varint runs past its end');
}

/** The fields of one message, in file order. */
export function fieldsOf(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const [tag, afterTag] = readVarint(bytes, pos);
    const number = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    let value = 0n;
    let payload: Uint8Array = new Uint8Array(0);
    if (wireType === WIRE.varint) [value, pos] = readVarint(bytes, afterTag);
    else if (wireType === WIRE.fixed64) pos = afterTag + 8;
    else if (wireType === WIRE.fixed32) pos = afterTag + 4;
    else if (wireType === WIRE.bytes) {
      const [length, afterLength] = readVarint(bytes, afterTag);
      pos = afterLength + Number(length);
      payload = bytes.subarray(afterLength, pos);
    } else throw new Error(`malformed protobuf: wire type ${wireType}`);
    if (pos > bytes.length) throw new Error('malformed protobuf: a field runs past the end of its message');
    fields.push({ number, wireType, raw: bytes.subarray(start, pos), value, payload });
  }
  return fields;
}

export const textOf = (field: WireField) => Buffer.from(field.payload).toString('utf8');

/** Repeated int64, packed or not (ONNX writers use both). */
export function int64sOf(fields: WireField[], number: number): number[] {
  const values: number[] = [];
  for (const field of fields.filter((f) => f.number === number)) {
    if (field.wireType === WIRE.varint) {
      values.push(Number(BigInt.asIntN(64, field.value)));
      continue;
    }
    for (let pos = 0; pos < field.payload.length; ) {
      const [value, next] = readVarint(field.payload, pos);
      values.push(Number(BigInt.asIntN(64, value)));
      pos = next;
    }
  }
  return values;
}

function varint(value: bigint): number[] {
  let rest = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    const byte = Number(rest & 0x7fn);
    rest >>= 7n;
    out.push(rest > 0n ? byte | 0x80 : byte);
  } while (rest > 0n);
  return out;
}

export function varintField(number: number, value: number | bigint): Uint8Array {
  return Uint8Array.from([...varint(BigInt((number << 3) | WIRE.varint)), ...varint(BigInt(value))]);
}

export function bytesField(number: number, payload: Uint8Array | string): Uint8Array {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([Uint8Array.from([...varint(BigInt((number << 3) | WIRE.bytes)), ...varint(BigInt(body.length))]), body]);
}

export const message = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);
