#!/usr/bin/env python3
"""Generate a random-weight LFM2-VL model that honours the real ONNX export's contract.

Why: no real weights can be downloaded in development or CI, yet tests and benchmarks need a
model that transformers.js 4.3.1 (`Lfm2VlForConditionalGeneration` + `AutoProcessor`) loads and
runs unchanged from a local folder. This script writes one:

  * the three graphs of LiquidAI/LFM2.5-VL-450M-ONNX (`vision_encoder`, `embed_tokens`,
    `decoder_model_merged`) with the same input/output names, dtypes and ranks (only the sizes
    shrink), the same 16-layer conv/attention pattern and working conv-state + KV caches;
  * config / generation / preprocessor / processor / tokenizer files shaped like the real ones
    (the facts mirrored here were read from the real export's files, revision
    95c283d4497a56477a83177079fa6b7121abb1b1; see docs/model-contract.md);
  * a small byte-level BPE tokenizer whose special tokens sit at LFM2-VL's real ids.

Usage (Debian's python: torch 1.13 + onnx 1.12):
  /usr/bin/python3 scripts/gen_lfm2vl_fixture.py                 # tiny fixture -> test/fixtures/models/lfm2-vl-tiny
  /usr/bin/python3 scripts/gen_lfm2vl_fixture.py --check         # regenerate in a temp dir, compare bytes
  /usr/bin/python3 scripts/gen_lfm2vl_fixture.py --full-size [OUTDIR]   # real 450M dims (default bench/models/lfm2-vl-450m-random)

Output is deterministic: fixed seeds, no timestamps, doc strings stripped; two runs give
byte-identical files (`--check` verifies it against the committed fixture).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import math
import os
import re
import sys
import tempfile
import warnings
from dataclasses import dataclass

import onnx
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY_OUTDIR = os.path.join(REPO_ROOT, "test", "fixtures", "models", "lfm2-vl-tiny")
FULL_OUTDIR = os.path.join(REPO_ROOT, "bench", "models", "lfm2-vl-450m-random")
OPSET = 17

# ---------------------------------------------------------------------------------------------
# Facts from the real export (reference config.json / onnx_io_contract.json, revision 95c283d4).
# ---------------------------------------------------------------------------------------------

# text_config.layer_types of LFM2-350M, the 450M model's language backbone.
LAYER_TYPES = [
    "conv", "conv", "full_attention", "conv", "conv", "full_attention", "conv", "conv",
    "full_attention", "conv", "full_attention", "conv", "full_attention", "conv", "full_attention", "conv",
]
CONV_L_CACHE = 3  # text_config.conv_L_cache: past_conv.N is [batch, hidden, 3]
PATCH_SIZE = 16  # vision_config.patch_size / encoder_patch_size
PATCH_DIM = PATCH_SIZE * PATCH_SIZE * 3  # 768, fixed by the processor's patchify
DOWNSAMPLE_FACTOR = 2  # 2x2 pixel-unshuffle before the projector
IMAGE_TOKEN_ID = 396
ROPE_THETA = 1000000.0
NORM_EPS = 1e-05


@dataclass(frozen=True)
class Dims:
    hidden: int
    heads: int
    kv_heads: int
    ff_dim: int  # text_config.intermediate_size / block_ff_dim before LFM2's auto-adjust
    ff_multiple_of: int
    vocab: int
    vision_hidden: int
    vision_layers: int
    vision_heads: int
    vision_ff: int
    projector_hidden: int

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @property
    def ff_effective(self) -> int:
        # Lfm2MLP with block_auto_adjust_ff_dim: 2/3 of the configured size, rounded up to a
        # multiple of block_multiple_of (6656 -> 4608 for the real model).
        size = int(2 * self.ff_dim / 3)
        return self.ff_multiple_of * ((size + self.ff_multiple_of - 1) // self.ff_multiple_of)


TINY = Dims(hidden=64, heads=4, kv_heads=2, ff_dim=192, ff_multiple_of=32, vocab=1024,
            vision_hidden=32, vision_layers=1, vision_heads=2, vision_ff=64, projector_hidden=64)
# The real 450M: LFM2-350M text model + SigLIP2 base (12 x 768) vision tower + 2048 projector.
FULL = Dims(hidden=1024, heads=16, kv_heads=8, ff_dim=6656, ff_multiple_of=256, vocab=65536,
            vision_hidden=768, vision_layers=12, vision_heads=12, vision_ff=3072, projector_hidden=2048)

# ---------------------------------------------------------------------------------------------
# Tokenizer: special tokens at LFM2-VL's real ids.
# Confirmed ids come from a public copy of LiquidAI/LFM2-VL-450M's tokenizer_config.json
# (added_tokens_decoder): 0-13 below, <|reserved_N|> at id N+10 for ids 16..395, <image>=396,
# <|img_row_R_col_C|> = 397 + (R-1)*10 + (C-1) (397..496), <|img_thumbnail|>=497,
# <|image_start|>=498, <|image_end|>=499, <|image_split|>=500.
# Chosen (not found): ids 14 and 15, absent from that file's added tokens; named
# <|reserved_4|>/<|reserved_5|> here to continue the reserved_N = id-10 pattern.
# ---------------------------------------------------------------------------------------------

NAMED_SPECIAL_TOKENS = {
    0: "<|pad|>", 1: "<|startoftext|>", 2: "<|endoftext|>", 3: "<|fim_pre|>", 4: "<|fim_mid|>",
    5: "<|fim_suf|>", 6: "<|im_start|>", 7: "<|im_end|>", 8: "<|tool_list_start|>",
    9: "<|tool_list_end|>", 10: "<|tool_call_start|>", 11: "<|tool_call_end|>",
    12: "<|tool_response_start|>", 13: "<|tool_response_end|>",
    396: "<image>", 497: "<|img_thumbnail|>", 498: "<|image_start|>", 499: "<|image_end|>",
    500: "<|image_split|>",
}
FIRST_BYTE_TOKEN_ID = 501  # the 256 byte tokens follow the special block; merges fill the rest
# Both sizes share this 1024-token tokenizer; the full-size model keeps 65536 logits (for the
# real lm_head cost) and its logit bias keeps ids past the tokenizer out of greedy output.
TOKENIZER_VOCAB = 1024


def special_tokens() -> dict[int, str]:
    tokens = dict(NAMED_SPECIAL_TOKENS)
    for token_id in range(14, IMAGE_TOKEN_ID):
        tokens[token_id] = f"<|reserved_{token_id - 10}|>"
    for row in range(1, 11):
        for col in range(1, 11):
            tokens[397 + (row - 1) * 10 + (col - 1)] = f"<|img_row_{row}_col_{col}|>"
    assert sorted(tokens) == list(range(FIRST_BYTE_TOKEN_ID))
    return tokens


# The pre-tokenizer regex, post-processor (BOS template) and decoder of LFM2's tokenizer.json,
# as pinned by a third-party public validator of that file (not checked against the original).
LFM2_SPLIT_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
# Python's `re` lacks \p{..}; this approximation is only used to pick merges.
TRAINING_SPLIT_REGEX = re.compile(
    r"'s|'t|'re|'ve|'m|'ll|'d|[^\r\n\w]?[^\W\d_]+|\d{1,3}| ?[^\s\w]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# Text the BPE merges are learned from: the kind of prose and code the product handles.
MERGE_CORPUS = """
The screenshot shows a settings dialog with a search field, two tabs and a blue Save button.
This chart compares the monthly revenue of three products; the line for the first product rises.
The diagram has four boxes connected by arrows: the client sends a request to the server.
The server reads the configuration, checks the cache and then queries the database.
A table lists the name, the version and the size of each installed package.
The error message says that the file could not be found in the current working directory.
Describe the image in one sentence. What is written on the button? Extract all text.
The terminal shows the output of the test runner: twelve tests passed and one test failed.
The photo shows a person standing in front of a window with the city in the background.
The function returns the number of items in the list, or zero when the list is empty.
Alt text should describe what matters in the image for the reader of the document.
The form contains fields for the first name, the last name, the email address and the password.
A bar chart shows the number of users per country; the tallest bar is the one for Germany.
The code editor shows a TypeScript file with an import statement and an exported function.
const result = await model.generate({ max_new_tokens: 128, do_sample: false });
function describeImage(path: string): Promise<string> { return engine.ask(path, prompt); }
import { readFile } from 'node:fs/promises'; export default class Panel extends View {}
if (error) { throw new Error(`cannot read ${path}: ${error.message}`); } return value;
def main(args): print("hello world") for index in range(10): total += index
<div class="header"><img src="logo.png" alt="Company logo"></div> <p>Welcome</p>
The quick brown fox jumps over the lazy dog. The five boxing wizards jump quickly.
Numbers: 0 1 2 3 4 5 6 7 8 9 10 12 25 50 100 128 256 512 1024 2048 2024 2025 3.14 42%
In the picture there are three people sitting at a table and talking about the plan.
The slide has a title, a bullet list with four points and a small chart in the corner.
The window title reads Untitled and the status bar shows the line and the column number.
The map shows the route from the station to the museum, which takes about ten minutes.
Die Tabelle zeigt die Anzahl der Nutzer. Le graphique montre les ventes du mois dernier.
""".strip()


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map used by ByteLevel tokenizers."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(
        range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return {byte: chr(char) for byte, char in zip(printable, chars)}


def learn_merges(num_merges: int) -> list[tuple[str, str]]:
    """Plain BPE training over MERGE_CORPUS; ties broken lexicographically for determinism."""
    byte_map = bytes_to_unicode()
    word_counts: dict[tuple[str, ...], int] = {}
    for piece in TRAINING_SPLIT_REGEX.findall(MERGE_CORPUS):
        word = tuple(byte_map[b] for b in piece.encode("utf-8"))
        word_counts[word] = word_counts.get(word, 0) + 1
    merges: list[tuple[str, str]] = []
    while len(merges) < num_merges:
        pair_counts: dict[tuple[str, str], int] = {}
        for word, count in word_counts.items():
            for pair in zip(word, word[1:]):
                pair_counts[pair] = pair_counts.get(pair, 0) + count
        if not pair_counts:
            raise RuntimeError(f"merge corpus too small: only {len(merges)} merges learned")
        best = min(pair_counts, key=lambda pair: (-pair_counts[pair], pair))
        merges.append(best)
        merged: dict[tuple[str, ...], int] = {}
        for word, count in word_counts.items():
            out: list[str] = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + count
        word_counts = merged
    return merges


def build_tokenizer_json(vocab_size: int) -> dict:
    specials = special_tokens()
    vocab = {content: token_id for token_id, content in specials.items()}
    byte_map = bytes_to_unicode()
    for byte in range(256):
        vocab[byte_map[byte]] = FIRST_BYTE_TOKEN_ID + byte
    num_merges = vocab_size - len(vocab)
    merges = learn_merges(num_merges)
    for left, right in merges:
        vocab[left + right] = len(vocab)
    assert len(vocab) == vocab_size and sorted(vocab.values()) == list(range(vocab_size))
    bos = specials[1]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": token_id, "content": content, "single_word": False, "lstrip": False,
             "rstrip": False, "normalized": False, "special": True}
            for token_id, content in sorted(specials.items())
        ],
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": LFM2_SPLIT_REGEX}, "behavior": "Isolated",
                 "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
            ],
        },
        "post_processor": {
            "type": "Sequence",
            "processors": [
                {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
                {
                    "type": "TemplateProcessing",
                    "single": [{"SpecialToken": {"id": bos, "type_id": 0}},
                               {"Sequence": {"id": "A", "type_id": 0}}],
                    "pair": [{"SpecialToken": {"id": bos, "type_id": 0}},
                             {"Sequence": {"id": "A", "type_id": 0}},
                             {"SpecialToken": {"id": bos, "type_id": 0}},
                             {"Sequence": {"id": "B", "type_id": 0}}],
                    "special_tokens": {bos: {"id": bos, "ids": [1], "tokens": [bos]}},
                },
            ],
        },
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}]},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab,
            "merges": [[left, right] for left, right in merges],
        },
    }


# The real tokenizer_config.json's chat_template (identical to chat_template.jinja except that
# the {% generation %} markers are blanked, as the real file has them).
CHAT_TEMPLATE = (
    "{{- bos_token -}}\n{%- set keep_past_thinking = keep_past_thinking | default(false) -%}\n\n"
    "{%- macro format_arg_value(arg_value) -%}\n    {%- if arg_value is string -%}\n"
    "        {{- '\"' + arg_value + '\"' -}}\n    {%- elif arg_value is mapping -%}\n"
    "        {{- arg_value | tojson -}}\n    {%- else -%}\n        {{- arg_value | string -}}\n"
    "    {%- endif -%}\n{%- endmacro -%}\n\n{%- macro parse_content(content) -%}\n"
    "    {%- if content is string -%}\n        {{- content -}}\n    {%- else -%}\n"
    "        {%- set _ns = namespace(result=\"\") -%}\n        {%- for item in content -%}\n"
    "            {%- if item.type == \"image\" -%}\n"
    "                {%- set _ns.result = _ns.result + \"<image>\" -%}\n"
    "            {%- elif item.type == \"text\" -%}\n"
    "                {%- set _ns.result = _ns.result + item.text -%}\n            {%- else -%}\n"
    "                {%- set _ns.result = _ns.result + item | tojson -%}\n            {%- endif -%}\n"
    "        {%- endfor -%}\n        {{- _ns.result -}}\n    {%- endif -%}\n{%- endmacro -%}\n\n"
    "{%- macro render_tool_calls(tool_calls) -%}\n"
    "    {%- set tool_calls_ns = namespace(tool_calls=[]) -%}\n"
    "    {%- for tool_call in tool_calls -%}\n"
    "        {%- set func_name = tool_call.function.name -%}\n"
    "        {%- set func_args = tool_call.function.arguments -%}\n"
    "        {%- set args_ns = namespace(arg_strings=[]) -%}\n"
    "        {%- for arg_name, arg_value in func_args.items() -%}\n"
    "            {%- set args_ns.arg_strings = args_ns.arg_strings + [arg_name + \"=\" + "
    "format_arg_value(arg_value)] -%}\n        {%- endfor -%}\n"
    "        {%- set tool_calls_ns.tool_calls = tool_calls_ns.tool_calls + [func_name + \"(\" + "
    "(args_ns.arg_strings | join(\", \")) + \")\"] -%}\n    {%- endfor -%}\n"
    "    {{- \"<|tool_call_start|>[\" + (tool_calls_ns.tool_calls | join(\", \")) + "
    "\"]<|tool_call_end|>\" -}}\n{%- endmacro -%}\n\n"
    "{%- set ns = namespace(system_prompt=\"\", last_assistant_index=-1) -%}\n"
    "{%- if messages[0].role == \"system\" -%}\n    {%- if messages[0].content is defined -%}\n"
    "        {%- set ns.system_prompt = parse_content(messages[0].content) -%}\n    {%- endif -%}\n"
    "    {%- set messages = messages[1:] -%}\n{%- endif -%}\n{%- if tools -%}\n"
    "    {%- set ns.system_prompt = ns.system_prompt + (\"\\n\\n\" if ns.system_prompt else \"\") + "
    "\"Today's date: \" + strftime_now(\"%Y-%m-%d\") + \"\\n\\nList of tools: \" + (tools | tojson) -%}\n"
    "{%- endif -%}\n{%- if ns.system_prompt -%}\n"
    "    {{- \"<|im_start|>system\\n\" + ns.system_prompt + \"<|im_end|>\\n\" -}}\n{%- endif -%}\n"
    "{%- for message in messages -%}\n    {%- if message.role == \"assistant\" -%}\n"
    "        {%- set ns.last_assistant_index = loop.index0 -%}\n    {%- endif -%}\n{%- endfor -%}\n"
    "{%- for message in messages -%}\n    {{- \"<|im_start|>\" + message.role + \"\\n\" -}}\n"
    "    {%- if message.role == \"assistant\" -%}\n        \n"
    "        {%- if message.thinking is defined and (keep_past_thinking or loop.index0 == "
    "ns.last_assistant_index) -%}\n"
    "            {{- \"<think>\" + message.thinking + \"</think>\" -}}\n        {%- endif -%}\n"
    "        {%- if message.tool_calls is defined -%}\n"
    "            {{- render_tool_calls(message.tool_calls) -}}\n        {%- endif -%}\n"
    "        {%- if message.content is defined -%}\n"
    "            {%- set content = parse_content(message.content) -%}\n"
    "            {%- if not keep_past_thinking and loop.index0 != ns.last_assistant_index -%}\n"
    "                {%- if \"</think>\" in content -%}\n"
    "                    {%- set content = content.split(\"</think>\")[-1] | trim -%}\n"
    "                {%- endif -%}\n            {%- endif -%}\n"
    "            {{- content + (\"\" if (continue_final_message and loop.last) else \"<|im_end|>\\n\") -}}\n"
    "        {%- endif -%}\n        \n    {%- else %}\n        {%- if message.content is defined -%}\n"
    "            {{- parse_content(message.content) + \"<|im_end|>\\n\" -}}\n        {%- endif -%}\n"
    "    {%- endif %}\n{%- endfor -%}\n{%- if add_generation_prompt -%}\n"
    "    {{- \"<|im_start|>assistant\\n\" -}}\n{%- endif -%}"
)


# ---------------------------------------------------------------------------------------------
# Config files (shapes of the real ones, tiny or real sizes).
# ---------------------------------------------------------------------------------------------

def image_processor_config() -> dict:
    # Real preprocessor values: they decide tiling and token counts, so they are not shrunk.
    return {
        "data_format": "channels_first", "do_image_splitting": True, "do_normalize": True,
        "do_pad": True, "do_rescale": True, "do_resize": True, "downsample_factor": DOWNSAMPLE_FACTOR,
        "encoder_patch_size": PATCH_SIZE, "image_mean": [0.5, 0.5, 0.5],
        "image_processor_type": "Lfm2VlImageProcessorFast", "image_std": [0.5, 0.5, 0.5],
        "max_image_tokens": 256, "max_num_patches": 1024, "max_pixels_tolerance": 2.0, "max_tiles": 10,
        "min_image_tokens": 64, "min_tiles": 2, "resample": 2, "rescale_factor": 0.00392156862745098,
        "return_row_col_info": True, "size": {"height": 512, "width": 512}, "tile_size": 512,
        "use_thumbnail": True,
    }


def model_config(d: Dims) -> dict:
    return {
        "architectures": ["Lfm2VlForConditionalGeneration"],
        "do_image_splitting": True, "downsample_factor": DOWNSAMPLE_FACTOR, "dtype": "bfloat16",
        "encoder_patch_size": PATCH_SIZE, "image_token_id": IMAGE_TOKEN_ID, "max_image_tokens": 256,
        "max_pixels_tolerance": 2.0, "max_tiles": 10, "min_image_tokens": 64, "min_tiles": 2,
        "model_type": "lfm2_vl", "projector_bias": True, "projector_hidden_act": "gelu",
        "projector_hidden_size": d.projector_hidden, "projector_use_layernorm": False,
        "text_config": {
            "_name_or_path": "LiquidAI/LFM2-350M", "architectures": ["Lfm2ForCausalLM"],
            "block_auto_adjust_ff_dim": True, "block_dim": d.hidden, "block_ff_dim": d.ff_dim,
            "block_ffn_dim_multiplier": 1.0, "block_mlp_init_scale": 1.0, "block_multiple_of": d.ff_multiple_of,
            "block_norm_eps": NORM_EPS, "block_out_init_scale": 1.0, "block_use_swiglu": True,
            "block_use_xavier_init": True, "conv_L_cache": CONV_L_CACHE, "conv_bias": False,
            "conv_dim": d.hidden, "conv_dim_out": d.hidden, "conv_use_xavier_init": True, "dtype": "bfloat16",
            "eos_token_id": 7, "hidden_size": d.hidden, "initializer_range": 0.02,
            "intermediate_size": d.ff_dim, "layer_types": LAYER_TYPES, "max_position_embeddings": 128000,
            "model_type": "lfm2", "norm_eps": NORM_EPS, "num_attention_heads": d.heads, "num_heads": d.heads,
            "num_hidden_layers": len(LAYER_TYPES), "num_key_value_heads": d.kv_heads,
            "rope_parameters": {"rope_theta": ROPE_THETA, "rope_type": "default"}, "use_cache": True,
            "use_pos_enc": True, "vocab_size": d.vocab,
        },
        "tile_size": 512, "transformers_version": "5.0.0.dev0", "use_image_special_tokens": True,
        "use_thumbnail": True,
        "vision_config": {
            "attention_dropout": 0.0, "dtype": "bfloat16", "hidden_act": "gelu_pytorch_tanh",
            "hidden_size": d.vision_hidden, "intermediate_size": d.vision_ff, "layer_norm_eps": 1e-06,
            "model_type": "siglip2_vision_model", "num_attention_heads": d.vision_heads, "num_channels": 3,
            "num_hidden_layers": d.vision_layers, "num_patches": 256, "patch_size": PATCH_SIZE,
            "vision_use_head": False,
        },
        # As in the real export's config.json: true for all three graphs, although its fp32
        # embed_tokens.onnx holds its weights inline (see EXTERNAL_DATA below).
        "transformers.js_config": {
            "use_external_data_format": {"vision_encoder": True, "embed_tokens": True, "decoder_model_merged": True},
        },
    }


def generation_config() -> dict:
    return {"_from_model_config": True, "bos_token_id": 1, "eos_token_id": 7, "pad_token_id": 0,
            "transformers_version": "4.57.0"}


def tokenizer_config() -> dict:
    return {
        "backend": "tokenizers", "bos_token": "<|startoftext|>", "clean_up_tokenization_spaces": True,
        "eos_token": "<|im_end|>", "extra_special_tokens": [], "image_end_token": "<|image_end|>",
        "image_start_token": "<|image_start|>", "image_thumbnail": "<|img_thumbnail|>",
        "image_token": "<image>", "is_local": False, "legacy": False,
        "model_max_length": 1000000000000000019884624838656,
        "model_specific_special_tokens": {"image_end_token": "<|image_end|>",
                                          "image_start_token": "<|image_start|>", "image_token": "<image>"},
        "pad_token": "<|pad|>", "processor_class": "Lfm2VlProcessor", "return_token_type_ids": False,
        "sp_model_kwargs": {}, "spaces_between_special_tokens": False, "tokenizer_class": "TokenizersBackend",
        "use_default_system_prompt": False, "use_fast": True, "chat_template": CHAT_TEMPLATE,
    }


# ---------------------------------------------------------------------------------------------
# Graphs.
# ---------------------------------------------------------------------------------------------

class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = NORM_EPS):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class SwiGLU(nn.Module):
    def __init__(self, dim: int, ff: int):
        super().__init__()
        self.w1 = nn.Linear(dim, ff, bias=False)
        self.w3 = nn.Linear(dim, ff, bias=False)
        self.w2 = nn.Linear(ff, dim, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class ShortConv(nn.Module):
    """LFM2's gated short convolution; the state is the last CONV_L_CACHE conv inputs."""

    def __init__(self, dim: int):
        super().__init__()
        self.in_proj = nn.Linear(dim, 3 * dim, bias=False)
        self.conv_weight = nn.Parameter(torch.empty(dim, 1, CONV_L_CACHE))
        self.out_proj = nn.Linear(dim, dim, bias=False)

    def forward(self, x, past_state):
        b_gate, c_gate, value = self.in_proj(x).transpose(1, 2).chunk(3, dim=1)  # [B, H, S] each
        gated = b_gate * value
        window = torch.cat([past_state, gated], dim=2)  # [B, H, 3 + S]
        # Valid depthwise conv over the window: output i covers window[i .. i+2]; the one for
        # the newest token of step t ends at window index 3 + t, hence the [1:].
        conv = F.conv1d(window, self.conv_weight, groups=self.conv_weight.shape[0])[:, :, 1:]
        present_state = window[:, :, -CONV_L_CACHE:]
        return self.out_proj((c_gate * conv).transpose(1, 2)), present_state


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Attention(nn.Module):
    def __init__(self, d: Dims):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = d.heads, d.kv_heads, d.head_dim
        self.q_proj = nn.Linear(d.hidden, d.heads * d.head_dim, bias=False)
        self.k_proj = nn.Linear(d.hidden, d.kv_heads * d.head_dim, bias=False)
        self.v_proj = nn.Linear(d.hidden, d.kv_heads * d.head_dim, bias=False)
        self.out_proj = nn.Linear(d.heads * d.head_dim, d.hidden, bias=False)
        self.q_layernorm = RMSNorm(d.head_dim)
        self.k_layernorm = RMSNorm(d.head_dim)

    def forward(self, x, cos, sin, mask_bias, past_key, past_value):
        batch, seq = x.shape[0], x.shape[1]
        q = self.q_layernorm(self.q_proj(x).view(batch, seq, self.heads, self.head_dim)).transpose(1, 2)
        k = self.k_layernorm(self.k_proj(x).view(batch, seq, self.kv_heads, self.head_dim)).transpose(1, 2)
        v = self.v_proj(x).view(batch, seq, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        key = torch.cat([past_key, k], dim=2)
        value = torch.cat([past_value, v], dim=2)
        group = self.heads // self.kv_heads
        key_all = key.unsqueeze(2).expand(-1, -1, group, -1, -1).reshape(batch, self.heads, -1, self.head_dim)
        value_all = value.unsqueeze(2).expand(-1, -1, group, -1, -1).reshape(batch, self.heads, -1, self.head_dim)
        scores = torch.matmul(q, key_all.transpose(2, 3)) / math.sqrt(self.head_dim) + mask_bias
        out = torch.matmul(torch.softmax(scores, dim=-1), value_all)
        out = out.transpose(1, 2).reshape(batch, seq, self.heads * self.head_dim)
        return self.out_proj(out), key, value


class DecoderLayer(nn.Module):
    def __init__(self, d: Dims, kind: str):
        super().__init__()
        self.kind = kind
        self.operator_norm = RMSNorm(d.hidden)
        self.operator = ShortConv(d.hidden) if kind == "conv" else Attention(d)
        self.ffn_norm = RMSNorm(d.hidden)
        self.feed_forward = SwiGLU(d.hidden, d.ff_effective)


class Decoder(nn.Module):
    """decoder_model_merged: inputs_embeds + attention_mask + caches -> logits + new caches."""

    def __init__(self, d: Dims):
        super().__init__()
        self.layers = nn.ModuleList([DecoderLayer(d, kind) for kind in LAYER_TYPES])
        self.embedding_norm = RMSNorm(d.hidden)
        self.lm_head = nn.Linear(d.hidden, d.vocab, bias=False)
        # Computed in Python floats so the stored constant is identical on every machine.
        inv_freq = [1.0 / (ROPE_THETA ** (i / d.head_dim)) for i in range(0, d.head_dim, 2)]
        self.register_buffer("inv_freq", torch.tensor(inv_freq, dtype=torch.float32))
        self.register_buffer("logit_bias", logit_bias(d.vocab, TOKENIZER_VOCAB))

    def forward(self, inputs_embeds, attention_mask, *past):
        seq = inputs_embeds.shape[1]
        total = attention_mask.shape[1]
        past_len = total - seq
        # No position_ids input (as in the real export): positions count the attended tokens.
        positions = attention_mask.cumsum(-1) - 1
        positions = torch.where(attention_mask == 0, torch.ones_like(positions), positions)[:, past_len:]
        freqs = positions.unsqueeze(-1).float() * self.inv_freq
        emb = torch.cat([freqs, freqs], dim=-1).unsqueeze(1)  # [B, 1, S, head_dim]
        cos, sin = emb.cos(), emb.sin()
        query_pos = torch.arange(seq, device=inputs_embeds.device) + past_len
        key_pos = torch.arange(total, device=inputs_embeds.device)
        allowed = (key_pos.unsqueeze(0) <= query_pos.unsqueeze(1)).unsqueeze(0).unsqueeze(0)
        allowed = allowed & (attention_mask == 1).unsqueeze(1).unsqueeze(2)
        mask_bias = (~allowed).float() * -1e9

        hidden = inputs_embeds
        presents = []
        cursor = 0
        for layer in self.layers:
            normed = layer.operator_norm(hidden)
            if layer.kind == "conv":
                out, state = layer.operator(normed, past[cursor])
                presents.append(state)
                cursor += 1
            else:
                out, key, value = layer.operator(normed, cos, sin, mask_bias, past[cursor], past[cursor + 1])
                presents.extend([key, value])
                cursor += 2
            hidden = hidden + out
            hidden = hidden + layer.feed_forward(layer.ffn_norm(hidden))
        logits = self.lm_head(self.embedding_norm(hidden)) + self.logit_bias
        return (logits, *presents)


def logit_bias(vocab: int, tokenizer_vocab: int) -> torch.Tensor:
    """Keeps a random model's greedy output decodable: reserved/special ids (except <|im_end|>),
    bytes that are not printable ASCII and ids the tokenizer lacks are pushed down."""
    bias = torch.zeros(vocab)
    bias[tokenizer_vocab:] = -30.0
    bias[:FIRST_BYTE_TOKEN_ID] = -20.0
    bias[7] = -2.0
    for byte in range(256):
        if not (32 <= byte < 127 or byte == 10):
            bias[FIRST_BYTE_TOKEN_ID + byte] = -6.0
    return bias


class EmbedTokens(nn.Module):
    def __init__(self, d: Dims):
        super().__init__()
        self.embed_tokens = nn.Embedding(d.vocab, d.hidden)

    def forward(self, input_ids):
        return self.embed_tokens(input_ids)


class VisionLayer(nn.Module):
    def __init__(self, d: Dims):
        super().__init__()
        self.heads, self.head_dim = d.vision_heads, d.vision_hidden // d.vision_heads
        self.layer_norm1 = nn.LayerNorm(d.vision_hidden, eps=1e-6)
        self.qkv = nn.Linear(d.vision_hidden, 3 * d.vision_hidden)
        self.out_proj = nn.Linear(d.vision_hidden, d.vision_hidden)
        self.layer_norm2 = nn.LayerNorm(d.vision_hidden, eps=1e-6)
        self.fc1 = nn.Linear(d.vision_hidden, d.vision_ff)
        self.fc2 = nn.Linear(d.vision_ff, d.vision_hidden)

    def forward(self, x, key_bias):
        batch, length, width = x.shape[0], x.shape[1], x.shape[2]
        q, k, v = self.qkv(self.layer_norm1(x)).view(batch, length, 3, self.heads, self.head_dim).permute(
            2, 0, 3, 1, 4).unbind(0)
        scores = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim) + key_bias
        attended = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(batch, length, width)
        x = x + self.out_proj(attended)
        return x + self.fc2(F.gelu(self.fc1(self.layer_norm2(x)), approximate="tanh"))


class VisionEncoder(nn.Module):
    """SigLIP2-style tower + 2x2 pixel-unshuffle + MLP projector, one output row per <image>.

    Every tile arrives padded to the same patch count; only its first h*w patches (row-major)
    are real. The output concatenates, tile by tile, ceil(h/2)*ceil(w/2) rows, each projected
    from the 2x2 group of neighbouring patch features (missing neighbours of odd sizes are zero).
    """

    GRID = 16  # SigLIP2's learned position grid (num_patches 256 = 16 x 16)

    def __init__(self, d: Dims):
        super().__init__()
        self.patch_embedding = nn.Linear(PATCH_DIM, d.vision_hidden)
        self.position_embedding = nn.Embedding(self.GRID * self.GRID, d.vision_hidden)
        self.layers = nn.ModuleList([VisionLayer(d) for _ in range(d.vision_layers)])
        self.post_layernorm = nn.LayerNorm(d.vision_hidden, eps=1e-6)
        factor2 = DOWNSAMPLE_FACTOR * DOWNSAMPLE_FACTOR
        self.linear_1 = nn.Linear(factor2 * d.vision_hidden, d.projector_hidden)
        self.linear_2 = nn.Linear(d.projector_hidden, d.hidden)

    def forward(self, pixel_values, pixel_attention_mask, spatial_shapes):
        patches = pixel_values.shape[1]
        heights, widths = spatial_shapes[:, 0], spatial_shapes[:, 1]
        safe_widths = widths.clamp(min=1)
        patch_index = torch.arange(patches, device=pixel_values.device).unsqueeze(0)  # [1, N]
        rows = torch.div(patch_index, safe_widths.unsqueeze(1), rounding_mode="floor")
        cols = patch_index - rows * safe_widths.unsqueeze(1)
        # Learned 16x16 grid resized (nearest) to the tile's h x w patches.
        grid_rows = torch.div(rows * self.GRID, heights.clamp(min=1).unsqueeze(1), rounding_mode="floor")
        grid_cols = torch.div(cols * self.GRID, safe_widths.unsqueeze(1), rounding_mode="floor")
        grid_index = (grid_rows.clamp(max=self.GRID - 1) * self.GRID + grid_cols.clamp(max=self.GRID - 1))
        x = self.patch_embedding(pixel_values) + self.position_embedding(grid_index)
        key_bias = ((pixel_attention_mask == 0).float() * -1e9).unsqueeze(1).unsqueeze(2)
        for layer in self.layers:
            x = layer(x, key_bias)
        x = self.post_layernorm(x)
        return self.linear_2(F.gelu(self.linear_1(self.unshuffle(x, heights, widths, patches))))

    @staticmethod
    def unshuffle(features, heights, widths, patches):
        batch, width = features.shape[0], features.shape[2]
        flat = features.reshape(-1, width)
        out_h = torch.div(heights + 1, 2, rounding_mode="floor")
        out_w = torch.div(widths + 1, 2, rounding_mode="floor").clamp(min=1)
        # Candidate output slots per tile (at most one per patch), keep the first out_h*out_w.
        slot = torch.arange(patches, device=features.device).unsqueeze(0)  # [1, N]
        keep = (slot < (out_h * out_w).unsqueeze(1)).reshape(-1)
        tile = torch.arange(batch, device=features.device).unsqueeze(1).expand(-1, patches).reshape(-1)
        out_row = torch.div(slot, out_w.unsqueeze(1), rounding_mode="floor")
        out_col = (slot - out_row * out_w.unsqueeze(1)).reshape(-1)
        out_row = out_row.reshape(-1)
        picked = torch.nonzero(keep).squeeze(1)
        tile, out_row, out_col = tile[picked], out_row[picked], out_col[picked]
        tile_h, tile_w = heights[tile], widths[tile]
        groups = []
        for dr in range(DOWNSAMPLE_FACTOR):  # channel order (r0c0, r0c1, r1c0, r1c1) as in HF
            for dc in range(DOWNSAMPLE_FACTOR):
                row = out_row * DOWNSAMPLE_FACTOR + dr
                col = out_col * DOWNSAMPLE_FACTOR + dc
                inside = (row < tile_h) & (col < tile_w)
                source = (tile * patches + (row * tile_w + col).clamp(max=patches - 1))
                groups.append(flat[source] * inside.unsqueeze(1).float())
        return torch.cat(groups, dim=1)


def randomize(module: nn.Module, seed: int) -> None:
    """Fills every weight from one seeded numpy stream (table-based and scalar, so the bytes do
    not depend on the CPU's vector units the way torch's normal_ can), scaled so activations stay
    O(1) and the output depends on the whole context (HF's 0.02 init makes a random LFM2 echo its
    input)."""
    rng = np.random.default_rng(seed)

    def normal(shape, scale: float) -> torch.Tensor:
        return torch.from_numpy(rng.standard_normal(tuple(shape), dtype=np.float32) * np.float32(scale))

    with torch.no_grad():
        for name, param in sorted(module.named_parameters()):
            if name.endswith("norm.weight") or ("layer_norm" in name and name.endswith("weight")):
                param.copy_(1.0 + normal(param.shape, 0.1))
            elif name.endswith("bias"):
                param.copy_(normal(param.shape, 0.02))
            elif name == "embed_tokens.weight":
                param.copy_(normal(param.shape, 1.0))
            elif name == "position_embedding.weight":
                param.copy_(normal(param.shape, 0.5))
            else:
                param.copy_(normal(param.shape, 1.0 / math.sqrt(param.shape[-1])))


# ---------------------------------------------------------------------------------------------
# Export.
# ---------------------------------------------------------------------------------------------

def cache_io_names() -> tuple[list[str], list[str]]:
    past, present = [], []
    for index, kind in enumerate(LAYER_TYPES):
        if kind == "conv":
            past.append(f"past_conv.{index}")
            present.append(f"present_conv.{index}")
        else:
            past += [f"past_key_values.{index}.key", f"past_key_values.{index}.value"]
            present += [f"present.{index}.key", f"present.{index}.value"]
    return past, present


def empty_caches(d: Dims, batch: int, past_len: int) -> list[torch.Tensor]:
    caches = []
    for kind in LAYER_TYPES:
        if kind == "conv":
            caches.append(torch.zeros(batch, d.hidden, CONV_L_CACHE))
        else:
            caches += [torch.zeros(batch, d.kv_heads, past_len, d.head_dim) for _ in range(2)]
    return caches


def export(module, args, input_names, output_names, dynamic_axes, path, external_data, static_dims=None):
    """static_dims: {output name: {axis: size}} for sizes the exporter cannot infer."""
    module.eval()
    tmp_path = path + ".tmp"
    with torch.no_grad():
        torch.onnx.export(module, tuple(args), tmp_path, input_names=input_names, output_names=output_names,
                          dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)
    model = onnx.load(tmp_path)
    os.remove(tmp_path)
    for node in model.graph.node:
        node.doc_string = ""
    model.doc_string = ""
    for output in model.graph.output:
        for axis, size in (static_dims or {}).get(output.name, {}).items():
            output.type.tensor_type.shape.dim[axis].Clear()
            output.type.tensor_type.shape.dim[axis].dim_value = size
    for stale in [path, path + "_data"]:
        if os.path.exists(stale):
            os.remove(stale)
    if external_data:
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + "_data", size_threshold=1024)
    else:
        onnx.save_model(model, path)
    onnx.checker.check_model(path)


def export_decoder(decoder: Decoder, d: Dims, path: str, external_data: bool) -> None:
    past_names, present_names = cache_io_names()
    batch, seq, past_len = 2, 3, 2
    args = [torch.randn(batch, seq, d.hidden), torch.ones(batch, past_len + seq, dtype=torch.int64),
            *empty_caches(d, batch, past_len)]
    axes = {"inputs_embeds": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    for name in past_names:
        axes[name] = {0: "batch_size"} if "conv" in name else {0: "batch_size", 2: "past_sequence_length"}
    for name in present_names:
        axes[name] = {0: "batch_size"} if "conv" in name else {0: "batch_size", 2: "total_sequence_length"}
    # The conv state is a slice of the last 3 steps: always 3 wide, which shape inference can't see.
    static = {name: {2: CONV_L_CACHE} for name in present_names if "conv" in name}
    export(decoder, args, ["inputs_embeds", "attention_mask", *past_names], ["logits", *present_names],
           axes, path, external_data, static)


def export_embed(embed: EmbedTokens, path: str, external_data: bool) -> None:
    export(embed, [torch.tensor([[1, 6, 7], [2, 3, 4]], dtype=torch.int64)], ["input_ids"], ["inputs_embeds"],
           {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "inputs_embeds": {0: "batch_size", 1: "sequence_length"}}, path, external_data)


def vision_inputs(shapes: list[tuple[int, int]], patches: int, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    pixel_values = torch.zeros(len(shapes), patches, PATCH_DIM)
    mask = torch.zeros(len(shapes), patches, dtype=torch.int64)
    for index, (h, w) in enumerate(shapes):
        pixel_values[index, : h * w] = torch.rand(h * w, PATCH_DIM, generator=generator) * 2 - 1
        mask[index, : h * w] = 1
    return pixel_values, mask, torch.tensor(shapes, dtype=torch.int64)


def export_vision(vision: VisionEncoder, path: str, external_data: bool) -> None:
    export(vision, list(vision_inputs([(4, 4), (2, 6)], 16)),
           ["pixel_values", "pixel_attention_mask", "spatial_shapes"], ["image_features"],
           {"pixel_values": {0: "batch_size", 1: "num_patches"},
            "pixel_attention_mask": {0: "batch_size", 1: "num_patches"},
            "spatial_shapes": {0: "batch_size"}, "image_features": {0: "num_image_tokens"}},
           path, external_data)


# ---------------------------------------------------------------------------------------------
# Self checks on the torch modules that were exported.
# ---------------------------------------------------------------------------------------------

def check_cached_decoding_matches_recompute(decoder: Decoder, embed: EmbedTokens, d: Dims) -> None:
    prompt = torch.tensor([[1, 6, 520, 600, 700, 800, 7, 6]], dtype=torch.int64)
    steps = 8
    with torch.no_grad():
        ids = prompt
        outputs = decoder(embed(ids), torch.ones_like(ids), *empty_caches(d, 1, 0))
        cached_tokens = []
        caches = list(outputs[1:])
        token = outputs[0][:, -1].argmax(-1, keepdim=True)
        for _ in range(steps):
            cached_tokens.append(int(token))
            ids = torch.cat([ids, token], dim=1)
            outputs = decoder(embed(token), torch.ones_like(ids), *caches)
            caches = list(outputs[1:])
            token = outputs[0][:, -1].argmax(-1, keepdim=True)
        full = decoder(embed(ids), torch.ones_like(ids), *empty_caches(d, 1, 0))[0]
        recomputed = full[0, prompt.shape[1] - 1: -1].argmax(-1).tolist()
    if cached_tokens != recomputed:
        raise AssertionError(f"cached decode {cached_tokens} != recompute {recomputed}")
    if len(set(cached_tokens)) < 2:
        raise AssertionError(f"random decoder is degenerate: {cached_tokens}")


def check_vision_rows(vision: VisionEncoder) -> None:
    shapes = [(16, 24), (32, 32), (2, 2), (6, 4)]
    with torch.no_grad():
        features = vision(*vision_inputs(shapes, 1024))
        alone = vision(*vision_inputs(shapes[:1], 1024))
    expected = sum(((h + 1) // 2) * ((w + 1) // 2) for h, w in shapes)
    if features.shape[0] != expected:
        raise AssertionError(f"vision rows {features.shape[0]} != {expected}")
    if not torch.allclose(features[: alone.shape[0]], alone, atol=1e-4):
        raise AssertionError("a tile's features depend on the other tiles in the batch")


# ---------------------------------------------------------------------------------------------
# Main.
# ---------------------------------------------------------------------------------------------

def write_json(path: str, value: dict) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        json.dump(value, handle, indent=2, ensure_ascii=False)
        handle.write("\n")


# Which fp32 graphs keep their weights in `<file>_data` in the real export: all but embed_tokens.onnx,
# which is inline (268,435,815 bytes, no embed_tokens.onnx_data; docs/models.md).
EXTERNAL_DATA = {"vision_encoder": True, "embed_tokens": False, "decoder_model_merged": True}


def generate(outdir: str, d: Dims, self_check: bool) -> None:
    os.makedirs(os.path.join(outdir, "onnx"), exist_ok=True)
    torch.manual_seed(0)  # only the tracing dummies use torch's RNG; weights come from randomize()
    decoder, embed, vision = Decoder(d), EmbedTokens(d), VisionEncoder(d)
    randomize(decoder, seed=1)
    randomize(embed, seed=2)
    randomize(vision, seed=3)
    for module in (decoder, embed, vision):
        module.eval()
    if self_check:
        check_cached_decoding_matches_recompute(decoder, embed, d)
        check_vision_rows(vision)

    write_json(os.path.join(outdir, "config.json"), model_config(d))
    write_json(os.path.join(outdir, "generation_config.json"), generation_config())
    write_json(os.path.join(outdir, "preprocessor_config.json"),
               {**image_processor_config(), "processor_class": "Lfm2VlProcessor"})
    write_json(os.path.join(outdir, "processor_config.json"),
               {"image_processor": image_processor_config(), "processor_class": "Lfm2VlProcessor"})
    write_json(os.path.join(outdir, "tokenizer_config.json"), tokenizer_config())
    write_json(os.path.join(outdir, "tokenizer.json"), build_tokenizer_json(TOKENIZER_VOCAB))

    onnx_dir = os.path.join(outdir, "onnx")
    export_embed(embed, os.path.join(onnx_dir, "embed_tokens.onnx"), EXTERNAL_DATA["embed_tokens"])
    export_vision(vision, os.path.join(onnx_dir, "vision_encoder.onnx"), EXTERNAL_DATA["vision_encoder"])
    export_decoder(decoder, d, os.path.join(onnx_dir, "decoder_model_merged.onnx"), EXTERNAL_DATA["decoder_model_merged"])


def compare_trees(expected_dir: str, actual_dir: str) -> list[str]:
    """Byte-level differences between the committed fixture and a fresh generation."""
    def files(root: str) -> set[str]:
        return {os.path.relpath(os.path.join(folder, name), root)
                for folder, _, names in os.walk(root) for name in names}

    expected, actual = files(expected_dir), files(actual_dir)
    problems = [f"missing in fixture: {name}" for name in sorted(actual - expected)]
    problems += [f"not produced by the generator: {name}" for name in sorted(expected - actual)]
    problems += [f"differs: {name}" for name in sorted(expected & actual)
                 if not filecmp.cmp(os.path.join(expected_dir, name), os.path.join(actual_dir, name), shallow=False)]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=TINY_OUTDIR, help="output folder for the tiny fixture")
    parser.add_argument("--check", action="store_true",
                        help="regenerate the tiny fixture in a temp dir and compare it byte for byte with --out")
    parser.add_argument("--full-size", nargs="?", const=FULL_OUTDIR, metavar="OUTDIR",
                        help="write the real 450M dimensions (random weights, external data) for benchmarks")
    args = parser.parse_args()

    # The exporter warns about every traced shape computation; the graphs are checked instead.
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    if args.full_size:
        generate(args.full_size, FULL, self_check=False)
        print(f"wrote full-size random LFM2-VL to {args.full_size}")
        return 0
    if args.check:
        with tempfile.TemporaryDirectory() as scratch:
            generate(scratch, TINY, self_check=False)
            problems = compare_trees(args.out, scratch)
        if problems:
            print("fixture is not reproducible from this script:\n  " + "\n  ".join(problems), file=sys.stderr)
            return 1
        print(f"fixture at {args.out} matches the generator byte for byte")
        return 0
    generate(args.out, TINY, self_check=True)
    print(f"wrote tiny random LFM2-VL to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
