/**
 * How the engine picks each next token, as model cards ask for it: the repetition penalty, then
 * temperature, then min-p, then a draw from a seeded generator, so the same question with the same
 * seed gives the same answer (the alt-text cache, tests). transformers.js 4.3.1 has no min-p and
 * draws with Math.random, so this runs as its last logits processor and leaves only the chosen
 * token standing; its greedy sampler then takes exactly that one.
 */
import { LogitsProcessor, type Tensor } from '@huggingface/transformers';
import type { ResolvedSampling, Sampling } from '../../protocol/options';

/** Answers are reproducible by default; Retry (or `--seed`) asks for another draw. */
export const DEFAULT_SEED = 0;

/** The model's recommendation with the request's overrides. */
export function resolveSampling(recommended: Omit<ResolvedSampling, 'seed'>, overrides: Sampling): ResolvedSampling {
  return { ...recommended, seed: DEFAULT_SEED, ...overrides };
}

/**
 * Upstream's repetition penalty (transformers' RepetitionPenaltyLogitsProcessor): every token id in
 * the sequence so far, prompt included, has a positive logit divided by the penalty and a negative
 * one multiplied by it.
 */
export function applyRepetitionPenalty(logits: Float32Array, seen: Iterable<bigint | number>, penalty: number): void {
  if (penalty === 1) return;
  for (const id of new Set(Array.from(seen, Number))) {
    const value = logits[id];
    if (value === undefined) continue;
    logits[id] = value < 0 ? value * penalty : value / penalty;
  }
}

/**
 * Each token's weight after temperature, relative to the most likely one (1 for it), with the
 * tokens below min-p set to 0: exactly those whose probability is under `minP` times the top
 * probability (upstream's MinPLogitsWarper, which keeps at least one).
 */
export function minPWeights(logits: Float32Array, temperature: number, minP: number): Float64Array {
  let max = -Infinity;
  for (const value of logits) if (value > max) max = value;
  // p / p_max >= minP  <=>  logit >= max + temperature * ln(minP): most of the 65,536 logits of a
  // real vocabulary fall below that cut and need no exp.
  const cut = max + temperature * Math.log(minP);
  const weights = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) {
    if (logits[i]! < cut) continue;
    const weight = Math.exp((logits[i]! - max) / temperature);
    weights[i] = weight >= minP ? weight : 0;
  }
  return weights;
}

/** mulberry32: a small, fast 32-bit generator; plenty for choosing among a few candidate tokens. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

/** Index drawn in proportion to the weights. */
export function drawIndex(weights: Float64Array, random: () => number): number {
  let total = 0;
  for (const weight of weights) total += weight;
  let point = random() * total;
  let last = 0;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i] === 0) continue;
    last = i;
    point -= weights[i]!;
    if (point < 0) return i;
  }
  return last;
}

export class TokenSampler extends LogitsProcessor {
  private readonly random: () => number;

  constructor(private readonly sampling: ResolvedSampling) {
    super();
    this.random = seededRandom(sampling.seed);
  }

  /** One sequence at a time (the engine never batches): `logits` is [1, vocab]. */
  override _call(inputIds: bigint[][], logits: Tensor): Tensor {
    const scores = (logits as unknown as Tensor[])[0]!.data as Float32Array;
    applyRepetitionPenalty(scores, inputIds[0] ?? [], this.sampling.repetitionPenalty);
    if (this.sampling.temperature === 0) return logits;
    const chosen = drawIndex(minPWeights(scores, this.sampling.temperature, this.sampling.minP), this.random);
    scores.fill(-Infinity);
    scores[chosen] = 0;
    return logits;
  }
}
