#!/usr/bin/env python3
"""Write random-weight GGUF files with the exact dimensions of LiquidAI's LFM2-350M.

Why: llama.cpp (through node-llama-cpp) is the speed yardstick for our decoder
(bench/llamaCpp.bench.ts), and no real weights can be downloaded here. Speed depends on the
shapes and tensor types, not on the weight values, so random weights of the right layout do.

LFM2-350M is the language model of LFM2-VL-450M. The metadata keys, tensor names and shapes are
those llama.cpp's converter writes (conversion/lfm2.py, conversion/base.py) and its loader reads
(src/models/lfm2.cpp, src/llama-vocab.cpp); the tensor types are what `llama-quantize` picks
(src/llama-quant.cpp): linear weights quantised, norms and short-conv kernels kept in F32, and the
tied embedding (the output head too) at Q6_K for Q4_0 and at Q8_0 for Q8_0.

The writer is gguf-py from the llama.cpp source node-llama-cpp ships (its git bundle, cloned once
into ~/.cache/loupe/llama.cpp-src), so the files match the llama.cpp that loads them.

Usage (Debian's python, numpy 1.24):
  /usr/bin/python3 scripts/gen_lfm2_gguf.py [OUTDIR]    # default bench/models

Output is deterministic: fixed seeds, no timestamps.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTDIR = os.path.join(REPO_ROOT, "bench", "models")
LLAMA_BUNDLE = os.path.join(REPO_ROOT, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle")
LLAMA_SRC = os.path.join(os.path.expanduser("~"), ".cache", "loupe", "llama.cpp-src")

# LiquidAI/LFM2-350M config.json.
LAYER_TYPES = [
    "conv", "conv", "full_attention", "conv", "conv", "full_attention", "conv", "conv",
    "full_attention", "conv", "full_attention", "conv", "full_attention", "conv", "full_attention", "conv",
]
HIDDEN = 1024
HEADS = 16
KV_HEADS = 8
HEAD_DIM = HIDDEN // HEADS
VOCAB = 65536
CONV_L_CACHE = 3
CONTEXT = 128000
ROPE_THETA = 1_000_000.0
RMS_EPS = 1e-5
BLOCK_FF_DIM = 6656
MULTIPLE_OF = 256
SEED = 1234

# The tokenizer's named specials at LFM2's ids (the same as scripts/gen_lfm2vl_fixture.py).
SPECIAL_TOKENS = ["<|pad|>", "<|startoftext|>", "<|endoftext|>", "<|fim_pre|>", "<|fim_mid|>",
                  "<|fim_suf|>", "<|im_start|>", "<|im_end|>"]
PAD_ID, BOS_ID, EOS_ID = 0, 1, 7


def load_gguf():
    """gguf-py from node-llama-cpp's llama.cpp source; cloned from the bundled release once."""
    if not os.path.isdir(LLAMA_SRC):
        os.makedirs(os.path.dirname(LLAMA_SRC), exist_ok=True)
        subprocess.run(["git", "-c", "advice.detachedHead=false", "clone", "-q", LLAMA_BUNDLE, LLAMA_SRC], check=True)
    sys.path.insert(0, os.path.join(LLAMA_SRC, "gguf-py"))
    import gguf
    return gguf


def feed_forward_dim() -> int:
    """block_auto_adjust_ff_dim as conversion/lfm2.py applies it: 2/3, rounded up to a multiple of 256."""
    ff = int(2 * BLOCK_FF_DIM / 3)
    return MULTIPLE_OF * ((ff + MULTIPLE_OF - 1) // MULTIPLE_OF)


def byte_tokens() -> list[str]:
    """GPT-2's byte-to-unicode table: the 256 single-byte tokens of a byte-level BPE vocabulary."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    extra = iter(range(256, 512))
    return [chr(b) if b in printable else chr(next(extra)) for b in range(256)]


def vocabulary(gguf) -> tuple[list[str], list[int], list[str]]:
    """Specials, the 256 byte tokens, then merged byte pairs (each with its merge) up to VOCAB."""
    singles = byte_tokens()
    merged = list(itertools.islice(itertools.product(singles, singles), VOCAB - len(SPECIAL_TOKENS) - len(singles)))
    tokens = SPECIAL_TOKENS + singles + [a + b for a, b in merged]
    types = [int(gguf.TokenType.CONTROL)] * len(SPECIAL_TOKENS) + [int(gguf.TokenType.NORMAL)] * (len(tokens) - len(SPECIAL_TOKENS))
    return tokens, types, [f"{a} {b}" for a, b in merged]


def add_metadata(writer, gguf, file_type: int) -> None:
    writer.add_name("LFM2-350M (random weights, benchmark only)")
    writer.add_file_type(file_type)
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    writer.add_block_count(len(LAYER_TYPES))
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(HIDDEN)
    writer.add_feed_forward_length(feed_forward_dim())
    writer.add_head_count(HEADS)
    # Per layer: 0 marks a short-conv layer (llama_model_lfm2 treats n_head_kv == 0 as recurrent).
    writer.add_head_count_kv([KV_HEADS if kind == "full_attention" else 0 for kind in LAYER_TYPES])
    writer.add_rope_freq_base(ROPE_THETA)
    writer.add_layer_norm_rms_eps(RMS_EPS)
    writer.add_vocab_size(VOCAB)
    writer.add_shortconv_l_cache(CONV_L_CACHE)
    tokens, types, merges = vocabulary(gguf)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("lfm2")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(merges)
    writer.add_bos_token_id(BOS_ID)
    writer.add_eos_token_id(EOS_ID)
    writer.add_pad_token_id(PAD_ID)
    writer.add_add_bos_token(True)


def random_weight(index: int, rows: int, cols: int) -> np.ndarray:
    """N(0, 1/fan_in) so activations stay finite; seeded per tensor, the same for every file."""
    rng = np.random.default_rng([SEED, index])
    return rng.standard_normal((rows, cols), dtype=np.float32) / np.float32(np.sqrt(cols))


def random_q6_k(gguf, index: int, rows: int, cols: int) -> np.ndarray:
    """Random Q6_K blocks (gguf-py has no Q6_K quantiser), in block_q6_K's layout as gguf-py's
    dequantiser reads it: ql[128] low nibbles, qh[64] high bits, scales[16] int8, d fp16.
    Values of standard deviation about 1/sqrt(cols): q - 32 spreads 18.5, scales 8..15 have an rms of 11.7."""
    rng = np.random.default_rng([SEED, index])
    blocks = rows * cols // gguf.QK_K
    quants = rng.integers(0, 256, size=(blocks, gguf.QK_K // 2 + gguf.QK_K // 4), dtype=np.uint8)
    scales = rng.integers(8, 16, size=(blocks, gguf.QK_K // 16), dtype=np.int8).view(np.uint8)
    d = np.full((blocks, 1), 1 / (np.sqrt(cols) * 18.5 * 11.7), dtype=np.float16).view(np.uint8)
    packed = np.concatenate([quants, scales, d], axis=1)
    return packed.reshape(rows, -1)


def tensors(gguf) -> list[tuple[str, str, int, int]]:
    """(name, kind, rows, cols) in ggml's order: rows = ne[1], cols = ne[0], as src/models/lfm2.cpp creates them."""
    T, names = gguf.MODEL_TENSOR, gguf.TENSOR_NAMES
    ff = feed_forward_dim()
    kv = KV_HEADS * HEAD_DIM
    out = [(names[T.TOKEN_EMBD] + ".weight", "embedding", VOCAB, HIDDEN),
           # LFM2's final norm is stored as token_embd_norm (LLM_TENSOR_OUTPUT_NORM_LFM2); no output.weight: tied.
           (names[T.TOKEN_EMBD_NORM] + ".weight", "norm", 1, HIDDEN)]
    for i, kind in enumerate(LAYER_TYPES):
        def name(tensor) -> str:
            return names[tensor].format(bid=i) + ".weight"
        out += [(name(T.ATTN_NORM), "norm", 1, HIDDEN), (name(T.FFN_NORM), "norm", 1, HIDDEN)]
        if kind == "conv":
            out += [(name(T.SHORTCONV_CONV), "conv", HIDDEN, CONV_L_CACHE),
                    (name(T.SHORTCONV_INPROJ), "linear", 3 * HIDDEN, HIDDEN),
                    (name(T.SHORTCONV_OUTPROJ), "linear", HIDDEN, HIDDEN)]
        else:
            out += [(name(T.ATTN_Q_NORM), "norm", 1, HEAD_DIM), (name(T.ATTN_K_NORM), "norm", 1, HEAD_DIM),
                    (name(T.ATTN_Q), "linear", HIDDEN, HIDDEN), (name(T.ATTN_K), "linear", kv, HIDDEN),
                    (name(T.ATTN_V), "linear", kv, HIDDEN), (name(T.ATTN_OUT), "linear", HIDDEN, HIDDEN)]
        out += [(name(T.FFN_GATE), "linear", ff, HIDDEN), (name(T.FFN_UP), "linear", ff, HIDDEN),
                (name(T.FFN_DOWN), "linear", HIDDEN, ff)]
    return out


def write(gguf, path: str, linear_type, embedding_type, file_type: int) -> None:
    writer = gguf.GGUFWriter(path, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.LFM2])
    add_metadata(writer, gguf, file_type)
    Q = gguf.GGMLQuantizationType
    for index, (name, kind, rows, cols) in enumerate(tensors(gguf)):
        if kind == "norm":
            writer.add_tensor(name, np.ones(cols, dtype=np.float32))
        elif kind == "conv":
            writer.add_tensor(name, random_weight(index, rows, cols))
        elif kind == "embedding" and embedding_type == Q.Q6_K:
            writer.add_tensor(name, random_q6_k(gguf, index, rows, cols), raw_dtype=Q.Q6_K)
        else:
            qtype = embedding_type if kind == "embedding" else linear_type
            writer.add_tensor(name, gguf.quants.quantize(random_weight(index, rows, cols), qtype), raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main() -> int:
    outdir = sys.argv[1] if len(sys.argv) > 1 else OUTDIR
    os.makedirs(outdir, exist_ok=True)
    gguf = load_gguf()
    Q, F = gguf.GGMLQuantizationType, gguf.LlamaFileType
    for suffix, linear, embedding, file_type in [("Q4_0", Q.Q4_0, Q.Q6_K, F.MOSTLY_Q4_0), ("Q8_0", Q.Q8_0, Q.Q8_0, F.MOSTLY_Q8_0)]:
        path = os.path.join(outdir, f"lfm2-350m-random-{suffix}.gguf")
        write(gguf, path, linear, embedding, int(file_type))
        print(f"wrote {path} ({os.path.getsize(path) / 2**20:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
