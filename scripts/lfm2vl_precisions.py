#!/usr/bin/env python3
"""Derive the precisions users download from a generated fp32 LFM2-VL folder.

Why: speed figures from an fp32 stand-in say little about the q4 decoder and fp16 vision encoder
users get. Compute and memory traffic do not depend on weight values, so the random fp32 weights
are converted the way the real export converts its weights (docs/q4-export-facts.md):

  * q4: every MatMul with a constant weight becomes `com.microsoft.MatMulNBits` (4 bits, block
    32, symmetric, no zero points), as ONNX Runtime's `MatMulNBitsQuantizer` writes it for
    Liquid AI's export (`accuracy_level=4`). The output layer keeps its fp32 weight, as the export
    keeps its tied head (a MatMul over the embedding table, which the quantiser skips).
  * fp16: every float weight and constant in half precision, inputs and outputs kept fp32 with
    casts at the edges (`convert_float_to_float16(keep_io_types=True)`, what Liquid used).

Variants for the decode study (`--decoder-variants`): the q4 decoder without `accuracy_level`
(transformers.js's own quantize.py writes none) and with an 8-bit output layer (Loupe's optional
post-download optimisation).

Usage (only onnx and numpy):
  /usr/bin/python3 scripts/lfm2vl_precisions.py SRC_FP32_FOLDER OUT_ROOT [--decoder-variants]
writes OUT_ROOT-q4 (fp16 vision + embeddings, q4 decoder) and OUT_ROOT-q4-small (q4 vision too).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BLOCK = 32
FP16_MAX = 65504.0
CONFIG_FILES = ["config.json", "generation_config.json", "preprocessor_config.json", "processor_config.json",
                "tokenizer.json", "tokenizer_config.json"]


def constant_weights(model: onnx.ModelProto) -> dict[str, onnx.TensorProto]:
    return {init.name: init for init in model.graph.initializer}


def pack_blocks(weight: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """[K, N] fp32 -> (B [N, blocks, BLOCK*bits/8] uint8, scales [N*blocks] fp32), symmetric with
    the implicit zero point 2^(bits-1), as MatMulNBits reads it without a zero_points input."""
    k, n = weight.shape
    blocks = (k + BLOCK - 1) // BLOCK
    padded = np.zeros((blocks * BLOCK, n), dtype=np.float32)
    padded[:k] = weight
    columns = padded.T.reshape(n, blocks, BLOCK)
    zero = 1 << (bits - 1)
    absmax = np.abs(columns).max(axis=2, keepdims=True)
    scales = np.where(absmax > 0, absmax / zero, 1.0).astype(np.float32)
    levels = np.clip(np.rint(columns / scales) + zero, 0, (1 << bits) - 1).astype(np.uint8)
    if bits == 4:
        levels = (levels[:, :, 0::2] | (levels[:, :, 1::2] << 4)).astype(np.uint8)
    return levels, scales.reshape(-1)


def quantize_matmuls(model: onnx.ModelProto, bits: int, accuracy_level: int, keep=lambda shape: False,
                     only=lambda shape: True) -> int:
    """Replaces MatMul nodes whose weight is a constant 2-D fp32 initializer; returns how many."""
    weights = constant_weights(model)
    graph = model.graph
    replaced, used_weights = 0, set()
    nodes = []
    for node in graph.node:
        init = weights.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        shape = tuple(init.dims) if init is not None else ()
        if init is None or len(shape) != 2 or init.data_type != TensorProto.FLOAT or keep(shape) or not only(shape):
            nodes.append(node)
            continue
        packed, scales = pack_blocks(numpy_helper.to_array(init), bits)
        base = f"{node.input[1]}_q{bits}"
        graph.initializer.extend([numpy_helper.from_array(packed, f"{base}.B"), numpy_helper.from_array(scales, f"{base}.scales")])
        attributes = {"K": shape[0], "N": shape[1], "bits": bits, "block_size": BLOCK}
        if accuracy_level:
            attributes["accuracy_level"] = accuracy_level  # ORT's quantiser writes it only when non-zero
        nodes.append(helper.make_node("MatMulNBits", [node.input[0], f"{base}.B", f"{base}.scales"], list(node.output),
                                      name=f"{node.name or base}_MatMulNBits", domain="com.microsoft", **attributes))
        used_weights.add(init.name)
        replaced += 1
    del graph.node[:]
    graph.node.extend(nodes)
    drop_unused(model, used_weights)
    if not any(op.domain == "com.microsoft" for op in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return replaced


def drop_unused(model: onnx.ModelProto, candidates: set[str]) -> None:
    still_used = {name for node in model.graph.node for name in node.input}
    kept = [init for init in model.graph.initializer if init.name not in candidates or init.name in still_used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)


def half(array: np.ndarray) -> np.ndarray:
    # -1e9 attention biases and the like saturate instead of turning into inf.
    return np.clip(array, -FP16_MAX, FP16_MAX).astype(np.float16)


def to_float16(model: onnx.ModelProto) -> None:
    """Weights, constants and arithmetic in fp16; graph inputs and outputs stay fp32."""
    graph = model.graph
    for init in graph.initializer:
        if init.data_type == TensorProto.FLOAT:
            init.CopyFrom(numpy_helper.from_array(half(numpy_helper.to_array(init)), init.name))
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.TENSOR and attribute.t.data_type == TensorProto.FLOAT:
                attribute.t.CopyFrom(numpy_helper.from_array(half(numpy_helper.to_array(attribute.t)), attribute.t.name))
            if node.op_type == "Cast" and attribute.name == "to" and attribute.i == TensorProto.FLOAT:
                attribute.i = TensorProto.FLOAT16
    def renamed(name: str, old: str, new: str) -> str:
        return new if name == old else name

    edges, tail = [], []
    for graph_input in (i for i in graph.input if i.type.tensor_type.elem_type == TensorProto.FLOAT):
        cast = f"{graph_input.name}_fp16"
        for node in graph.node:
            node.input[:] = [renamed(name, graph_input.name, cast) for name in node.input]
        edges.append(helper.make_node("Cast", [graph_input.name], [cast], name=f"{cast}_cast", to=TensorProto.FLOAT16))
    for graph_output in (o for o in graph.output if o.type.tensor_type.elem_type == TensorProto.FLOAT):
        inner = f"{graph_output.name}_fp16"
        for node in graph.node:
            node.output[:] = [renamed(name, graph_output.name, inner) for name in node.output]
            node.input[:] = [renamed(name, graph_output.name, inner) for name in node.input]
        tail.append(helper.make_node("Cast", [inner], [graph_output.name], name=f"{inner}_cast", to=TensorProto.FLOAT))
    nodes = [*edges, *graph.node, *tail]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.value_info[:]  # stale fp32 annotations; ONNX Runtime infers the rest


def load(path: str) -> onnx.ModelProto:
    return onnx.load(path, load_external_data=True)


def save(model: onnx.ModelProto, path: str) -> None:
    # Saving moves the weights out of the proto it is given; a copy keeps `model` reusable.
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for stale in [path, path + "_data"]:
        if os.path.exists(stale):
            os.remove(stale)
    onnx.save_model(copy, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=os.path.basename(path) + "_data", size_threshold=1024)
    onnx.checker.check_model(path)


def start_folder(src: str, out: str) -> str:
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    for name in CONFIG_FILES:
        if os.path.exists(os.path.join(src, name)):
            shutil.copyfile(os.path.join(src, name), os.path.join(out, name))
    return os.path.join(out, "onnx")


def is_output_layer(vocab: int):
    return lambda shape: shape[1] == vocab


def q4_decoder(src_onnx: str, vocab: int, accuracy_level: int, head_bits: int | None) -> onnx.ModelProto:
    model = load(os.path.join(src_onnx, "decoder_model_merged.onnx"))
    count = quantize_matmuls(model, 4, accuracy_level, keep=is_output_layer(vocab))
    if head_bits:
        count += quantize_matmuls(model, head_bits, accuracy_level, only=is_output_layer(vocab))
    if count == 0:
        raise AssertionError("the decoder has no constant MatMul weights to quantise")
    return model


def write_mixes(src: str, out_root: str, vocab: int, decoder_variants: bool) -> None:
    src_onnx = os.path.join(src, "onnx")
    embed = load(os.path.join(src_onnx, "embed_tokens.onnx"))
    to_float16(embed)
    vision16 = load(os.path.join(src_onnx, "vision_encoder.onnx"))
    to_float16(vision16)
    vision4 = load(os.path.join(src_onnx, "vision_encoder.onnx"))
    quantize_matmuls(vision4, 4, 4)
    decoder = q4_decoder(src_onnx, vocab, accuracy_level=4, head_bits=None)

    q4 = start_folder(src, out_root + "-q4")
    save(embed, os.path.join(q4, "embed_tokens_fp16.onnx"))
    save(vision16, os.path.join(q4, "vision_encoder_fp16.onnx"))
    save(decoder, os.path.join(q4, "decoder_model_merged_q4.onnx"))
    small = start_folder(src, out_root + "-q4-small")
    save(embed, os.path.join(small, "embed_tokens_fp16.onnx"))
    save(vision4, os.path.join(small, "vision_encoder_q4.onnx"))
    save(decoder, os.path.join(small, "decoder_model_merged_q4.onnx"))
    if decoder_variants:
        variants = os.path.join(out_root + "-decoders")
        os.makedirs(variants, exist_ok=True)
        save(q4_decoder(src_onnx, vocab, accuracy_level=0, head_bits=None), os.path.join(variants, "q4-acc0.onnx"))
        save(q4_decoder(src_onnx, vocab, accuracy_level=4, head_bits=8), os.path.join(variants, "q4-head8.onnx"))
        save(q4_decoder(src_onnx, vocab, accuracy_level=4, head_bits=4), os.path.join(variants, "q4-head4.onnx"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("src", help="a generated fp32 LFM2-VL folder")
    parser.add_argument("out_root", help="prefix of the folders to write (-q4, -q4-small, -decoders)")
    parser.add_argument("--vocab", type=int, default=65536, help="the output layer's width (kept fp32)")
    parser.add_argument("--decoder-variants", action="store_true",
                        help="also write q4 decoders without accuracy_level and with a 4- and 8-bit output layer")
    args = parser.parse_args()
    write_mixes(args.src, args.out_root, args.vocab, args.decoder_variants)
    print(f"wrote {args.out_root}-q4 and {args.out_root}-q4-small")
    return 0


if __name__ == "__main__":
    sys.exit(main())
