#!/usr/bin/env python3
"""Write the two ONNX graphs that measure this machine's ceilings for bench/machine.bench.ts.

  matmul.onnx  Y = A[M, K] x W[K, N], a constant fp32 weight of the decoder's feed-forward shape:
               the matrix-multiply rate ONNX Runtime reaches (GFLOP/s).
  readsum.onnx Y = ReduceSum(X[rows, cols], axis 1): streams X once, so bytes / time is the read
               bandwidth the decoder's weight reads can reach at best.

Usage: /usr/bin/python3 scripts/gen_bench_probes.py [OUTDIR]   (default bench/models/probes)
"""

from __future__ import annotations

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K, N = 1024, 4608  # LFM2-350M's hidden and feed-forward sizes


def matmul_graph() -> onnx.ModelProto:
    weight = np.random.default_rng(0).standard_normal((K, N), dtype=np.float32) / np.float32(32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["A", "W"], ["Y"])], "matmul",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, ["M", K])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["M", N])],
        [numpy_helper.from_array(weight, "W")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def readsum_graph() -> onnx.ModelProto:
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), "axes")
    graph = helper.make_graph(
        [helper.make_node("ReduceSum", ["X", "axes"], ["Y"], keepdims=0)], "readsum",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["rows", "cols"])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["rows"])], [axes])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def main() -> int:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO_ROOT, "bench", "models", "probes")
    os.makedirs(out, exist_ok=True)
    for name, model in [("matmul.onnx", matmul_graph()), ("readsum.onnx", readsum_graph())]:
        onnx.checker.check_model(model)
        onnx.save_model(model, os.path.join(out, name))
    print(f"wrote {out}/matmul.onnx and readsum.onnx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
