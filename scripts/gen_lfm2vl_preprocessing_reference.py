#!/usr/bin/python3
"""Reference tensors for LFM2-VL image preprocessing, computed the way upstream does it.

Follows transformers' `Lfm2VlImageProcessorFast` (transformers >= 5.1,
src/transformers/models/lfm2_vl/image_processing_lfm2_vl_fast.py): Python `round` (halves to even)
in the smart resize and the too-large test, the grid chosen by closest aspect ratio, and
torchvision's bilinear resize with antialiasing on the uint8 image (`resample: 2`). transformers
itself is not installed here, so its geometry is restated below; the resize is torchvision's own.

Inputs are synthetic images defined by integer arithmetic (`pattern` below, mirrored in
test/support/preprocessingPattern.ts), so no input file is committed. For every case the output
records the upstream geometry and, per tile, the sum of all uint8 values and 1024 sampled values.

    /usr/bin/python3 scripts/gen_lfm2vl_preprocessing_reference.py          # rewrite the reference
    /usr/bin/python3 scripts/gen_lfm2vl_preprocessing_reference.py --check  # compare with the committed one
"""
import base64
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as F

OUT = Path(__file__).resolve().parent.parent / 'test/fixtures/preprocessing/lfm2vl-reference.json'

# The real preprocessor_config.json values that presets do not change.
PATCH, DOWNSAMPLE, TILE, TOLERANCE = 16, 2, 512, 2.0
# Loupe's presets (src/protocol/options.ts): max/min image tokens, splitting, max tiles.
PRESETS = {
    'fast': dict(max_tokens=256, min_tokens=64, splitting=False, max_tiles=1),
    'balanced': dict(max_tokens=256, min_tokens=64, splitting=True, max_tiles=4),
    'detailed': dict(max_tokens=256, min_tokens=64, splitting=True, max_tiles=10),
}
SIZES = [(272, 272), (400, 400), (144, 650), (1200, 80), (720, 720), (1920, 1080), (1000, 3000),
         (3000, 1000), (256, 384), (48, 40), (1280, 720), (2000, 2000), (777, 333)]
SAMPLES = 1024


def pattern(width, height):
    """uint8 HWC image: gradients, 3-px stripes and 1-px lines, so resampling differences show."""
    y, x = np.mgrid[0:height, 0:width].astype(np.int64)
    base = np.stack([
        (x * 255) // max(width - 1, 1),
        (y * 255) // max(height - 1, 1),
        ((x + y) * 255) // max(width + height - 2, 1),
    ], axis=-1)
    stripe = ((x // 3 + y // 11) % 4 == 0)[..., None]
    value = np.where(stripe, 255 - base, base)
    line = ((x % 2 == 0) & (y % 9 < 2))[..., None]
    return np.where(line, 0, value).astype(np.uint8)


def round_by_factor(number, factor):
    return round(number / factor) * factor  # Python round: halves to even, as upstream


def smart_resize(height, width, min_tokens, max_tokens):
    total = PATCH * DOWNSAMPLE
    min_pixels, max_pixels = min_tokens * total ** 2, max_tokens * total ** 2
    h_bar = max(total, round_by_factor(height, total))
    w_bar = max(total, round_by_factor(width, total))
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(total, math.floor(height / beta / total) * total)
        w_bar = max(total, math.floor(width / beta / total) * total)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / total) * total
        w_bar = math.ceil(width * beta / total) * total
    return w_bar, h_bar


def too_large(height, width, max_tokens):
    total = PATCH * DOWNSAMPLE
    h_bar = max(PATCH, round_by_factor(height, total))
    w_bar = max(PATCH, round_by_factor(width, total))
    return h_bar * w_bar > max_tokens * total ** 2 * TOLERANCE


def grid(height, width, min_tiles, max_tiles):
    ratios = sorted({(w, h) for n in range(min_tiles, max_tiles + 1) for w in range(1, n + 1)
                     for h in range(1, n + 1) if min_tiles <= w * h <= max_tiles}, key=lambda r: r[0] * r[1])
    best_diff, best = float('inf'), (1, 1)
    for ratio in ratios:
        diff = abs(width / height - ratio[0] / ratio[1])
        if diff < best_diff:
            best_diff, best = diff, ratio
        elif diff == best_diff and width * height > 0.5 * TILE * TILE * ratio[0] * ratio[1]:
            best = ratio
    return best  # (grid width, grid height)


def resize(image, height, width):
    return F.resize(image, [height, width], interpolation=InterpolationMode.BILINEAR, antialias=True)


def preprocess(width, height, preset):
    min_tiles, max_tiles = (2, preset['max_tiles']) if preset['splitting'] else (1, 1)
    min_tiles = min(min_tiles, max_tiles)
    image = torch.from_numpy(pattern(width, height)).permute(2, 0, 1)[None]  # 1 x C x H x W, uint8
    new_w, new_h = smart_resize(height, width, preset['min_tokens'], preset['max_tokens'])
    splitting = not (min_tiles == max_tiles == 1)
    rows = cols = 1
    if too_large(height, width, preset['max_tokens']) and splitting:
        cols, rows = grid(height, width, min_tiles, max_tiles)
        big = resize(image, rows * TILE, cols * TILE)[0]
        tiles = [big[:, r * TILE:(r + 1) * TILE, c * TILE:(c + 1) * TILE] for r in range(rows) for c in range(cols)]
        if rows * cols != 1:
            tiles.append(resize(image, new_h, new_w)[0])
    else:
        tiles = [resize(image, new_h, new_w)[0]]
    per_tile = (TILE // PATCH // DOWNSAMPLE) ** 2
    thumb_tokens = (new_h // PATCH // DOWNSAMPLE) * (new_w // PATCH // DOWNSAMPLE)
    tokens = rows * cols * per_tile + thumb_tokens if rows * cols > 1 else thumb_tokens
    return {
        'resized': [new_h, new_w], 'rows': rows, 'cols': cols, 'imageTokens': tokens,
        'tiles': [describe(tile) for tile in tiles],
    }


def describe(tile):
    hwc = tile.permute(1, 2, 0).contiguous().numpy().reshape(-1)
    positions = sample_positions(hwc.size)
    return {
        'shape': [int(tile.shape[1]), int(tile.shape[2])],
        'sum': int(hwc.astype(np.int64).sum()),
        'samples': base64.b64encode(hwc[positions].tobytes()).decode('ascii'),
    }


def sample_positions(count):
    """Fixed pseudo-random HWC offsets (Knuth's multiplicative hash), mirrored by the test."""
    return np.array([(k * 2654435761) % count for k in range(SAMPLES)], dtype=np.int64)


def build():
    cases = [{'width': w, 'height': h, 'preset': name, **preprocess(w, h, preset)}
             for (w, h) in SIZES for name, preset in PRESETS.items()]
    return {
        'about': 'Generated by scripts/gen_lfm2vl_preprocessing_reference.py with torch '
                 f'{torch.__version__.split("a")[0]}; uint8 HWC samples of each resized tile.',
        'samplesPerTile': SAMPLES,
        'cases': cases,
    }


def main():
    text = json.dumps(build(), indent=1) + '\n'
    if '--check' in sys.argv:
        if OUT.read_text() != text:
            sys.exit(f'{OUT} differs from what the script makes; run it without --check')
        print(f'{OUT} is up to date')
        return
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f'wrote {OUT} ({len(text)} bytes)')


if __name__ == '__main__':
    main()
