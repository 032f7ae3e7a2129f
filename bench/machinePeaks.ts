/**
 * This machine's ceilings at a thread count, measured with onnxruntime-node itself: the fp32
 * matrix-multiply rate (compute-bound stages are compared with it) and the read bandwidth of a
 * streaming reduction (a decode step cannot read its weights faster). Graphs come from
 * scripts/gen_bench_probes.py.
 */
import * as ort from 'onnxruntime-node';
import { join } from 'node:path';
import { NO_SPINNING } from '../src/engine/ortSpinning';
import { repoRoot } from '../test/support/paths';
import { median, round } from './benchStats';

const probesDir = join(repoRoot, 'bench', 'models', 'probes');

export interface MachinePeaks {
  threads: number;
  matmulGflops: number;
  readGBps: number;
}

export function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return { intraOpNumThreads: threads, interOpNumThreads: 1, extra: NO_SPINNING };
}

async function timed(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, runs: number): Promise<number> {
  await session.run(feeds); // warm-up: first-run allocations
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await session.run(feeds);
    times.push(performance.now() - started);
  }
  return median(times);
}

export async function measurePeaks(threads: number, runs = 7): Promise<MachinePeaks> {
  const [m, k, n] = [512, 1024, 4608];
  const matmul = await ort.InferenceSession.create(join(probesDir, 'matmul.onnx'), sessionOptions(threads));
  const a = new ort.Tensor('float32', Float32Array.from({ length: m * k }, (_, i) => ((i * 7919) % 997) / 997 - 0.5), [m, k]);
  const matmulMs = await timed(matmul, { A: a }, runs);
  await matmul.release();

  // 512 MB, far beyond the caches, split in rows so each thread streams its own share.
  const [rows, cols] = [64, 2 * 1024 * 1024];
  const readsum = await ort.InferenceSession.create(join(probesDir, 'readsum.onnx'), sessionOptions(threads));
  const x = new ort.Tensor('float32', new Float32Array(rows * cols).fill(1), [rows, cols]);
  const readMs = await timed(readsum, { X: x }, runs);
  await readsum.release();
  return {
    threads,
    matmulGflops: round((2 * m * k * n) / (matmulMs * 1e6)),
    readGBps: round((rows * cols * 4) / (readMs * 1e6)),
  };
}
