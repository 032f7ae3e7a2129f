#!/usr/bin/env python3
"""Write stand-in hub repositories for every model in Loupe's catalog, from the manifests' evidence.

Why: the catalog must install and answer from the files each repository really has, and the hub
is unreachable here. For every file a manifest's `evidence` lists (models/*.json), this writes a
file of that name made from a tiny generated model of the same architecture, in the precision its
name says, with external data exactly where the evidence shows it (`<graph>.onnx_data`,
`_data_1`: a graph with none is inline, whatever config.json says). Per-repository facts the file
names do not carry (REPO_FACTS below) are applied to the configuration files. A loopback hub
serves these trees in test/integration/catalogModels.test.ts: a precision whose evidence changes
gets a tree of the new shape, so the test follows the manifests.

Usage: /usr/bin/python3 scripts/gen_hub_fixtures.py LFM2_TINY_DIR SMOLVLM_TINY_DIR OUT_DIR
writes OUT_DIR/<model id>/... for each manifest with evidence files.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.external_data_helper import set_external_data

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lfm2vl_precisions import is_output_layer, quantize_matmuls, to_float16  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GRAPH_FILE = re.compile(r"^onnx/(vision_encoder|embed_images|embed_tokens|decoder_model_merged|decoder)(|_fp16|_q4|_q8|_quantized)\.onnx$")
SESSION = {"vision_encoder": "vision_encoder", "embed_images": "vision_encoder", "embed_tokens": "embed_tokens",
           "decoder_model_merged": "decoder_model_merged", "decoder": "decoder_model_merged"}
DTYPE = {"": "fp32", "_fp16": "fp16", "_q4": "q4", "_q8": "q8", "_quantized": "q8"}

# What the evidence says of a repository beyond its file names (docs/models.md).
REPO_FACTS = {
    # Liquid AI's exporter writes no transformers.js_config, keeps the chat template only in
    # chat_template.jinja (tokenizer_config.json is 605 bytes) and nests the image processor in
    # processor_config.json (no preprocessor_config.json).
    "LiquidAI/LFM2.5-VL-1.6B-ONNX": {"drop_config_keys": ["transformers.js_config"], "drop_tokenizer_template": True},
    # No source shows this export's transformers.js_config; its graphs are served inline.
    "onnx-community/LFM2-VL-450M-ONNX": {"drop_config_keys": ["transformers.js_config"], "drop_tokenizer_template": False},
}


def quantize_gather_uint8(model: onnx.ModelProto) -> None:
    """8-bit token table as transformers.js's `_quantized` embeddings have it: uint8 weights,
    dequantized after the Gather."""
    graph = model.graph
    gather = next(node for node in graph.node if node.op_type == "Gather")
    table = next(init for init in graph.initializer if init.name == gather.input[0])
    weights = numpy_helper.to_array(table)
    low, high = float(weights.min()), float(weights.max())
    scale = (high - low) / 255 or 1.0
    zero = int(round(-low / scale))
    packed = np.clip(np.rint(weights / scale) + zero, 0, 255).astype(np.uint8)
    graph.initializer.remove(table)
    graph.initializer.extend([numpy_helper.from_array(packed, f"{table.name}_quantized"),
                              numpy_helper.from_array(np.array(scale, dtype=np.float32), f"{table.name}_scale"),
                              numpy_helper.from_array(np.array(zero, dtype=np.uint8), f"{table.name}_zero_point")])
    gathered = f"{gather.output[0]}_quantized"
    output = gather.output[0]
    gather.input[0] = f"{table.name}_quantized"
    gather.output[0] = gathered
    index = list(graph.node).index(gather)
    graph.node.insert(index + 1, helper.make_node("DequantizeLinear", [gathered, f"{table.name}_scale", f"{table.name}_zero_point"],
                                                  [output], name=f"{output}_dequantize"))


def convert(source: str, session: str, dtype: str, vocab: int) -> onnx.ModelProto:
    model = onnx.load(source, load_external_data=True)
    if dtype == "fp16":
        to_float16(model)
    elif dtype == "q4" and session == "decoder_model_merged":
        quantize_matmuls(model, 4, 4, keep=is_output_layer(vocab))
    elif dtype == "q4":
        quantize_matmuls(model, 4, 4)
    elif dtype == "q8" and session == "embed_tokens":
        quantize_gather_uint8(model)
    elif dtype == "q8":
        quantize_matmuls(model, 8, 4, keep=is_output_layer(vocab))
    return model


def save(model: onnx.ModelProto, path: str, chunks: list[str]) -> None:
    """Inline when `chunks` is empty; else tensors of 1 KB and more go to the chunk files in turn."""
    if not chunks:
        onnx.save_model(model, path)
        return
    big = []
    for tensor in model.graph.initializer:
        tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor), tensor.name))
        if len(tensor.raw_data) >= 1024:
            big.append(tensor)
    total = sum(len(tensor.raw_data) for tensor in big)
    offsets = [0] * len(chunks)
    handles = [open(os.path.join(os.path.dirname(path), os.path.basename(chunk)), "wb") for chunk in chunks]
    written = 0
    for tensor in big:
        index = min(len(chunks) - 1, written * len(chunks) // max(total, 1))
        data = tensor.raw_data
        handles[index].write(data)
        set_external_data(tensor, os.path.basename(chunks[index]), offsets[index], len(data))
        tensor.data_location = TensorProto.EXTERNAL
        tensor.ClearField("raw_data")
        offsets[index] += len(data)
        written += len(data)
    for handle in handles:
        handle.close()
    onnx.save_model(model, path)


def write_root_file(path: str, source_dir: str, out: str, facts: dict) -> None:
    target = os.path.join(out, path)
    if path == "chat_template.jinja":
        template = json.load(open(os.path.join(source_dir, "tokenizer_config.json"), encoding="utf-8"))["chat_template"]
        open(target, "w", encoding="utf-8").write(template)
        return
    source = os.path.join(source_dir, path)
    if not os.path.exists(source):
        json.dump({}, open(target, "w"))  # special_tokens_map.json, added_tokens.json: read by nothing here
        return
    if path == "config.json" or (path == "tokenizer_config.json" and facts.get("drop_tokenizer_template")):
        content = json.load(open(source, encoding="utf-8"))
        for key in facts.get("drop_config_keys", []) if path == "config.json" else ["chat_template"]:
            content.pop(key, None)
        json.dump(content, open(target, "w", encoding="utf-8"), indent=2)
        return
    shutil.copyfile(source, target)


def write_repository(manifest: dict, source_dir: str, out: str) -> None:
    listed = [file["path"] for file in manifest["evidence"]["files"]]
    facts = REPO_FACTS.get(manifest["hub"]["repo"], {})
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    vocab = json.load(open(os.path.join(source_dir, "config.json")))["text_config"]["vocab_size"]
    for path in listed:
        if path.startswith("onnx/"):
            match = GRAPH_FILE.match(path)
            if not match:
                continue  # external data: written with its graph
            session, dtype = SESSION[match.group(1)], DTYPE[match.group(2)]
            chunks = sorted((p for p in listed if re.fullmatch(re.escape(path) + r"_data(_\d+)?", p)), key=len)
            save(convert(os.path.join(source_dir, "onnx", f"{session}.onnx"), session, dtype, vocab), os.path.join(out, path), chunks)
        else:
            write_root_file(path, source_dir, out, facts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lfm2_tiny")
    parser.add_argument("smolvlm_tiny")
    parser.add_argument("out")
    args = parser.parse_args()
    sources = {"lfm2-vl": args.lfm2_tiny, "smolvlm": args.smolvlm_tiny}
    for manifest_path in sorted(glob.glob(os.path.join(REPO_ROOT, "models", "*.json"))):
        manifest = json.load(open(manifest_path, encoding="utf-8"))
        if not manifest["evidence"]["files"]:
            continue
        out = os.path.join(args.out, manifest["id"])
        shutil.rmtree(out, ignore_errors=True)
        write_repository(manifest, sources[manifest["architecture"]], out)
        print(f"wrote {manifest['hub']['repo']} as {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
