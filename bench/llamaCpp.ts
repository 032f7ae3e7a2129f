/**
 * llama.cpp's prefill and decode speed on a GGUF decoder, through node-llama-cpp's prebuilt CPU
 * binary: the yardstick for bench/ortDecoder.ts. Token ids go in directly (no tokenizer, no chat
 * template): the prompt as one batch on an emptied sequence, then one token per step, each step
 * computing the next token's logits and picking it greedily.
 */
import type { Llama, LlamaContextSequence, Token } from 'node-llama-cpp';
import { median } from './benchStats';

export interface LlamaCppSpeed {
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  /** Every tensor in the file, as llama.cpp counts it: what a decode step reads (the embedding is also the output head). */
  weightBytes: number;
}

/** Room for the prompt and the decoded tokens; the prompt must fit one batch. */
const CONTEXT_SIZE = 512;

async function loadLlama(): Promise<Llama> {
  // node-llama-cpp is ESM with top-level await, which tsx's CommonJS output cannot require.
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  // The prebuilt CPU binary only: never build, download or look for a GPU. maxThreads 0: a context
  // uses exactly the threads it asks for.
  return getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, skipDownload: true, progressLogs: false, maxThreads: 0, logLevel: LlamaLogLevel.error });
}

/** Seeded ids in 1000..31999: past the special and byte tokens, inside any vocabulary. */
function randomTokens(count: number, seed: number): Token[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (1000 + (state % 31000)) as Token;
  });
}

/** Evaluates the tokens in one call and returns the greedy next token after the last one. */
async function evaluate(sequence: LlamaContextSequence, tokens: Token[]): Promise<Token> {
  const last = tokens.length - 1;
  const outputs = await sequence.controlledEvaluate([...tokens.slice(0, last), [tokens[last]!, { generateNext: { token: true } }]]);
  const next = outputs[last]?.next.token;
  if (next == null) throw new Error('llama.cpp returned no next token');
  return next;
}

async function timedRun(sequence: LlamaContextSequence, prompt: Token[], decodeTokens: number): Promise<{ prefillMs: number; decodeMs: number }> {
  // Empties the KV cache and the conv states: the prompt starts a fresh sequence.
  await sequence.clearHistory();
  let started = performance.now();
  let next = await evaluate(sequence, prompt);
  const prefillMs = performance.now() - started;
  started = performance.now();
  for (let step = 0; step < decodeTokens; step++) next = await evaluate(sequence, [next]);
  const decodeMs = performance.now() - started;
  if (sequence.nextTokenIndex !== prompt.length + decodeTokens) throw new Error(`sequence holds ${sequence.nextTokenIndex} tokens, expected ${prompt.length + decodeTokens}`);
  return { prefillMs, decodeMs };
}

export async function measureLlamaCpp(path: string, threads: number, promptTokens = 128, decodeTokens = 32, runs = 3): Promise<LlamaCppSpeed> {
  const llama = await loadLlama();
  try {
    const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
    // n_batch = n_ubatch = batchSize in node-llama-cpp, so a prompt up to it is one llama_decode call;
    // with one sequence a queued decode is dispatched at once, not on the next event-loop cycle.
    const context = await model.createContext({ threads, contextSize: CONTEXT_SIZE, batchSize: CONTEXT_SIZE, sequences: 1 });
    if (promptTokens > context.batchSize || promptTokens + decodeTokens > context.contextSize) {
      throw new Error(`${promptTokens} + ${decodeTokens} tokens do not fit a ${context.batchSize}-token batch and a ${context.contextSize}-token context`);
    }
    const sequence = context.getSequence();
    const prefill: number[] = [];
    const decode: number[] = [];
    // Run 0 warms up (first-touch of the mapped weights, allocations) and is not counted.
    for (let run = 0; run <= runs; run++) {
      const { prefillMs, decodeMs } = await timedRun(sequence, randomTokens(promptTokens, run + 1), decodeTokens);
      if (run === 0) continue;
      prefill.push((promptTokens * 1000) / prefillMs);
      decode.push((decodeTokens * 1000) / decodeMs);
    }
    return { prefillTokensPerSecond: median(prefill), decodeTokensPerSecond: median(decode), weightBytes: model.size };
  } finally {
    // Disposes every model and context loaded through it.
    await llama.dispose();
  }
}
