#!/usr/bin/env python3
"""Generate a random-weight SmolVLM (Idefics3) model with the real SmolVLM-256M-Instruct ONNX contract.

Why: SmolVLM is in Loupe's catalog, and the download-then-answer path must be tested on a model
transformers.js 4.3.1 loads exactly like the real one (`Idefics3ForConditionalGeneration`,
`Idefics3Processor`), while no real weights can be fetched here. Facts mirrored from the real
repository at commit 7e3e67edbbed1bf9888184d9df282b700a323964 (sources in docs/models.md):

  * config.json: model_type `idefics3`, image_token_id 49190, scale_factor 4, vocab 49280, a llama
    text model of 30 layers with key/value caches (kv heads and head size shrink here), the
    `transformers.js_config.kv_cache_dtype` block, generation keys inside text_config;
  * preprocessor_config.json / processor_config.json as the real ones (longest edge 2048, 512 px
    tiles, image_seq_len 64), generation_config.json (eos 49279);
  * a small byte-level BPE tokenizer whose special tokens sit at SmolVLM's real ids (0-16 and
    49152-49279: <global-img>, <row_R_col_C>, <fake_token_around_image>, <image>,
    <end_of_utterance>), the real chat template in tokenizer_config.json and chat_template.json;
  * three graphs: vision_encoder (pixel_values f32 [batch, images, 3, 512, 512], pixel_attention_mask
    bool [batch, images, 512, 512] -> image_features [tiles, 64, hidden]), embed_tokens (input_ids ->
    inputs_embeds), decoder_model_merged (inputs_embeds, attention_mask, position_ids,
    past_key_values.N.key/value -> logits, present.N.key/value), all inline (no .onnx_data).

Usage: /usr/bin/python3 scripts/gen_smolvlm_fixture.py OUTDIR     (deterministic, about 15 MB)
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_lfm2vl_fixture import RMSNorm, bytes_to_unicode, export, learn_merges, randomize, rotate_half, write_json  # noqa: E402

VOCAB = 49280
IMAGE_TOKEN_ID = 49190
EOS_TOKEN_ID = 49279  # <end_of_utterance>
LAYERS = 30  # text_config.num_hidden_layers of SmolVLM-256M: the cache names depend on it
SCALE_FACTOR = 4
PATCH = 16
TILE = 512
ROPE_THETA = 100000.0
HIDDEN, HEADS, KV_HEADS, HEAD_DIM, FF = 64, 4, 2, 16, 128
VISION_HIDDEN, VISION_HEADS, VISION_FF = 32, 2, 64
BASE_VOCAB = 768  # the tiny tokenizer's BPE vocabulary (the real one has 49152 entries)

CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
    "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n"
    "{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)

LOW_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>", "<reponame>", "<file_sep>", "<filename>",
                "<gh_stars>", "<issue_start>", "<issue_comment>", "<issue_closed>", "<jupyter_start>", "<jupyter_text>",
                "<jupyter_code>", "<jupyter_output>", "<jupyter_script>", "<empty_output>"]


def high_specials() -> dict[int, str]:
    tokens = {49152: "<global-img>"}
    for row in range(1, 7):
        for col in range(1, 7):
            tokens[49153 + (row - 1) * 6 + (col - 1)] = f"<row_{row}_col_{col}>"
    tokens[49189] = "<fake_token_around_image>"
    tokens[IMAGE_TOKEN_ID] = "<image>"
    for index in range(88):
        tokens[49191 + index] = f"<|reserved_special_token_{index}|>"
    tokens[EOS_TOKEN_ID] = "<end_of_utterance>"
    return tokens


def tokenizer_json() -> dict:
    vocab = {content: token_id for token_id, content in enumerate(LOW_SPECIALS)}
    byte_map = bytes_to_unicode()
    for byte in range(256):
        vocab[byte_map[byte]] = len(LOW_SPECIALS) + byte
    merges = learn_merges(BASE_VOCAB - len(vocab))
    for left, right in merges:
        vocab[left + right] = len(vocab)
    specials = {**dict(enumerate(LOW_SPECIALS)), **high_specials()}
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": token_id, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for token_id, content in sorted(specials.items())],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [[left, right] for left, right in merges]},
    }


def tokenizer_config() -> dict:
    specials = {**dict(enumerate(LOW_SPECIALS)), **high_specials()}
    return {
        "add_prefix_space": False,
        "added_tokens_decoder": {str(i): {"content": c, "lstrip": False, "normalized": False, "rstrip": False,
                                          "single_word": False, "special": True} for i, c in sorted(specials.items())},
        "additional_special_tokens": ["<fake_token_around_image>", "<image>", "<end_of_utterance>"],
        "bos_token": "<|im_start|>", "chat_template": CHAT_TEMPLATE, "clean_up_tokenization_spaces": False,
        "eos_token": "<end_of_utterance>", "legacy": False, "model_max_length": 8192, "pad_token": "<|im_end|>",
        "processor_class": "Idefics3Processor", "tokenizer_class": "GPT2Tokenizer", "truncation_side": "left",
        "unk_token": "<|endoftext|>", "vocab_size": VOCAB,
    }


def model_config() -> dict:
    generation_keys = {"max_length": 20, "min_length": 0, "do_sample": False, "num_beams": 1, "temperature": 1.0,
                       "top_k": 50, "top_p": 1.0, "repetition_penalty": 1.0, "no_repeat_ngram_size": 0}
    kv_cache = {"kv_cache_dtype": {"q4f16": "float16", "fp16": "float16"}}
    return {
        "architectures": ["Idefics3ForConditionalGeneration"], "image_token_id": IMAGE_TOKEN_ID,
        "model_type": "idefics3", "scale_factor": SCALE_FACTOR, "tie_word_embeddings": False,
        "torch_dtype": "bfloat16", "transformers_version": "4.46.0", "use_cache": True, "vocab_size": VOCAB,
        "text_config": {
            "model_type": "llama", "architectures": ["VLlama3ForCausalLM"], "hidden_size": HIDDEN,
            "intermediate_size": FF, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
            "num_key_value_heads": KV_HEADS, "head_dim": HEAD_DIM, "hidden_act": "silu", "rms_norm_eps": 1e-05,
            "rope_theta": ROPE_THETA, "max_position_embeddings": 8192, "vocab_size": VOCAB,
            "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 2,
            "transformers.js_config": kv_cache, **generation_keys,
        },
        "vision_config": {
            "model_type": "idefics3", "hidden_size": VISION_HIDDEN, "num_hidden_layers": 1,
            "num_attention_heads": VISION_HEADS, "intermediate_size": VISION_FF, "patch_size": PATCH,
            "image_size": TILE, "num_channels": 3, "hidden_act": "gelu_pytorch_tanh", "layer_norm_eps": 1e-06,
            "max_image_size": {"longest_edge": TILE}, "size": {"longest_edge": 2048},
        },
        "transformers.js_config": kv_cache,
    }


def preprocessor_config() -> dict:
    return {
        "do_convert_rgb": True, "do_image_splitting": True, "do_normalize": True, "do_pad": True, "do_rescale": True,
        "do_resize": True, "image_mean": [0.5, 0.5, 0.5], "image_processor_type": "Idefics3ImageProcessor",
        "image_std": [0.5, 0.5, 0.5], "max_image_size": {"longest_edge": TILE}, "processor_class": "Idefics3Processor",
        "resample": 1, "rescale_factor": 0.00392156862745098, "size": {"longest_edge": 2048},
    }


class VisionLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(VISION_HIDDEN, eps=1e-6)
        self.qkv = nn.Linear(VISION_HIDDEN, 3 * VISION_HIDDEN)
        self.out_proj = nn.Linear(VISION_HIDDEN, VISION_HIDDEN)
        self.norm2 = nn.LayerNorm(VISION_HIDDEN, eps=1e-6)
        self.fc1 = nn.Linear(VISION_HIDDEN, VISION_FF)
        self.fc2 = nn.Linear(VISION_FF, VISION_HIDDEN)

    def forward(self, x):
        tiles, length = x.shape[0], x.shape[1]
        head_dim = VISION_HIDDEN // VISION_HEADS
        q, k, v = self.qkv(self.norm1(x)).view(tiles, length, 3, VISION_HEADS, head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        attended = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(head_dim), dim=-1) @ v
        x = x + self.out_proj(attended.transpose(1, 2).reshape(tiles, length, VISION_HIDDEN))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x)), approximate="tanh"))


class VisionEncoder(nn.Module):
    """SigLIP patches + one layer + Idefics3's pixel shuffle (scale 4) + the modality projection."""

    def __init__(self):
        super().__init__()
        self.patch_embedding = nn.Conv2d(3, VISION_HIDDEN, PATCH, stride=PATCH)
        self.position_embedding = nn.Embedding((TILE // PATCH) ** 2, VISION_HIDDEN)
        self.layer = VisionLayer()
        self.post_layernorm = nn.LayerNorm(VISION_HIDDEN, eps=1e-6)
        self.modality_projection = nn.Linear(VISION_HIDDEN * SCALE_FACTOR ** 2, HIDDEN, bias=False)

    def forward(self, pixel_values, pixel_attention_mask):
        pixels = pixel_values.reshape(-1, 3, TILE, TILE) * pixel_attention_mask.reshape(-1, 1, TILE, TILE).float()
        x = self.patch_embedding(pixels).flatten(2).transpose(1, 2) + self.position_embedding.weight
        x = self.post_layernorm(self.layer(x))
        tiles, side = x.shape[0], TILE // PATCH
        # HF Idefics3Connector.pixel_shuffle: [tiles, side*side, C] -> [tiles, side*side/16, 16*C]
        x = x.reshape(tiles, side, side // SCALE_FACTOR, VISION_HIDDEN * SCALE_FACTOR).permute(0, 2, 1, 3)
        x = x.reshape(tiles, side // SCALE_FACTOR, side // SCALE_FACTOR, VISION_HIDDEN * SCALE_FACTOR ** 2)
        x = x.permute(0, 2, 1, 3).reshape(tiles, (side // SCALE_FACTOR) ** 2, VISION_HIDDEN * SCALE_FACTOR ** 2)
        return self.modality_projection(x)


class EmbedTokens(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, HIDDEN)

    def forward(self, input_ids):
        return self.embed_tokens(input_ids)


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_layernorm = RMSNorm(HIDDEN)
        self.q_proj = nn.Linear(HIDDEN, HEADS * HEAD_DIM, bias=False)
        self.k_proj = nn.Linear(HIDDEN, KV_HEADS * HEAD_DIM, bias=False)
        self.v_proj = nn.Linear(HIDDEN, KV_HEADS * HEAD_DIM, bias=False)
        self.o_proj = nn.Linear(HEADS * HEAD_DIM, HIDDEN, bias=False)
        self.post_attention_layernorm = RMSNorm(HIDDEN)
        self.gate_proj = nn.Linear(HIDDEN, FF, bias=False)
        self.up_proj = nn.Linear(HIDDEN, FF, bias=False)
        self.down_proj = nn.Linear(FF, HIDDEN, bias=False)

    def forward(self, x, cos, sin, mask_bias, past_key, past_value):
        batch, seq = x.shape[0], x.shape[1]
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(batch, seq, HEADS, HEAD_DIM).transpose(1, 2)
        k = self.k_proj(h).view(batch, seq, KV_HEADS, HEAD_DIM).transpose(1, 2)
        v = self.v_proj(h).view(batch, seq, KV_HEADS, HEAD_DIM).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        key, value = torch.cat([past_key, k], dim=2), torch.cat([past_value, v], dim=2)
        group = HEADS // KV_HEADS
        key_all = key.unsqueeze(2).expand(-1, -1, group, -1, -1).reshape(batch, HEADS, -1, HEAD_DIM)
        value_all = value.unsqueeze(2).expand(-1, -1, group, -1, -1).reshape(batch, HEADS, -1, HEAD_DIM)
        scores = q @ key_all.transpose(2, 3) / math.sqrt(HEAD_DIM) + mask_bias
        out = (torch.softmax(scores, dim=-1) @ value_all).transpose(1, 2).reshape(batch, seq, HEADS * HEAD_DIM)
        x = x + self.o_proj(out)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h)), key, value


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([Layer() for _ in range(LAYERS)])
        self.norm = RMSNorm(HIDDEN)
        self.lm_head = nn.Linear(HIDDEN, VOCAB, bias=False)
        inv_freq = [1.0 / (ROPE_THETA ** (i / HEAD_DIM)) for i in range(0, HEAD_DIM, 2)]
        self.register_buffer("inv_freq", torch.tensor(inv_freq, dtype=torch.float32))
        # Keeps a random model's output decodable: ids the tiny tokenizer lacks are pushed down,
        # the end-of-utterance token stays reachable.
        bias = torch.zeros(VOCAB)
        bias[BASE_VOCAB:] = -30.0
        bias[:len(LOW_SPECIALS)] = -20.0
        bias[EOS_TOKEN_ID] = -2.0
        self.register_buffer("logit_bias", bias)

    def forward(self, inputs_embeds, attention_mask, position_ids, *past):
        seq, total = inputs_embeds.shape[1], attention_mask.shape[1]
        past_len = total - seq
        freqs = position_ids.unsqueeze(-1).float() * self.inv_freq
        emb = torch.cat([freqs, freqs], dim=-1).unsqueeze(1)
        cos, sin = emb.cos(), emb.sin()
        query_pos = torch.arange(seq) + past_len
        allowed = (torch.arange(total).unsqueeze(0) <= query_pos.unsqueeze(1)).unsqueeze(0).unsqueeze(0)
        allowed = allowed & (attention_mask == 1).unsqueeze(1).unsqueeze(2)
        mask_bias = (~allowed).float() * -1e9
        hidden, presents = inputs_embeds, []
        for index, layer in enumerate(self.layers):
            hidden, key, value = layer(hidden, cos, sin, mask_bias, past[2 * index], past[2 * index + 1])
            presents += [key, value]
        return (self.lm_head(self.norm(hidden)) + self.logit_bias, *presents)


def export_graphs(onnx_dir: str) -> None:
    torch.manual_seed(0)
    vision, embed, decoder = VisionEncoder(), EmbedTokens(), Decoder()
    for module, seed in ((vision, 11), (embed, 12), (decoder, 13)):
        randomize(module, seed)
        module.eval()
    pixel_values = torch.rand(1, 2, 3, TILE, TILE) * 2 - 1
    export(vision, [pixel_values, torch.ones(1, 2, TILE, TILE, dtype=torch.bool)],
           ["pixel_values", "pixel_attention_mask"], ["image_features"],
           {"pixel_values": {0: "batch_size", 1: "num_images"}, "pixel_attention_mask": {0: "batch_size", 1: "num_images"},
            "image_features": {0: "num_image_tiles"}},
           os.path.join(onnx_dir, "vision_encoder.onnx"), False)
    export(embed, [torch.tensor([[1, 2, 3]], dtype=torch.int64)], ["input_ids"], ["inputs_embeds"],
           {"input_ids": {0: "batch_size", 1: "sequence_length"}, "inputs_embeds": {0: "batch_size", 1: "sequence_length"}},
           os.path.join(onnx_dir, "embed_tokens.onnx"), False)
    past_names = [f"past_key_values.{i}.{kind}" for i in range(LAYERS) for kind in ("key", "value")]
    present_names = [f"present.{i}.{kind}" for i in range(LAYERS) for kind in ("key", "value")]
    batch, seq, past_len = 1, 3, 2
    args = [torch.randn(batch, seq, HIDDEN), torch.ones(batch, past_len + seq, dtype=torch.int64),
            torch.arange(past_len, past_len + seq).unsqueeze(0),
            *[torch.zeros(batch, KV_HEADS, past_len, HEAD_DIM) for _ in past_names]]
    axes = {"inputs_embeds": {0: "batch_size", 1: "sequence_length"},
            "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"},
            **{name: {0: "batch_size", 2: "past_sequence_length"} for name in past_names},
            **{name: {0: "batch_size", 2: "total_sequence_length"} for name in present_names}}
    export(decoder, args, ["inputs_embeds", "attention_mask", "position_ids", *past_names], ["logits", *present_names],
           axes, os.path.join(onnx_dir, "decoder_model_merged.onnx"), False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="output folder")
    out = parser.parse_args().out
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    write_json(os.path.join(out, "config.json"), model_config())
    write_json(os.path.join(out, "generation_config.json"),
               {"_from_model_config": True, "bos_token_id": 0, "eos_token_id": EOS_TOKEN_ID, "pad_token_id": 2,
                "transformers_version": "4.46.0"})
    write_json(os.path.join(out, "preprocessor_config.json"), preprocessor_config())
    write_json(os.path.join(out, "processor_config.json"), {"image_seq_len": 64, "processor_class": "Idefics3Processor"})
    write_json(os.path.join(out, "tokenizer_config.json"), tokenizer_config())
    write_json(os.path.join(out, "chat_template.json"), {"chat_template": CHAT_TEMPLATE})
    write_json(os.path.join(out, "tokenizer.json"), tokenizer_json())
    export_graphs(os.path.join(out, "onnx"))
    print(f"wrote tiny random SmolVLM to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
