/**
 * Makes and checks the CPU-optimised copy of an installed q4 model (src/modelFolder/optimizedVariant.ts):
 * the decoder is rewritten (src/engine/vlm/decoderRewrite.ts), then the original and the rewritten
 * decoder read the same prompt and must predict the same next tokens at (nearly) every position,
 * or the copy is not used. Any failure leaves the original files in use; the outcome is recorded
 * so the work is not repeated until the files change.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AutoTokenizer } from '@huggingface/transformers';
import { isProcessAlive } from '../../modelFolder/processLiveness';
import { placeFile } from '../../modelFolder/placeFile';
import { MARKER_FILE } from '../../modelFolder/installedMarker';
import { graphFile, type DtypeMap } from '../../modelFolder/modelLayout';
import { OPTIMIZED_MARKER, OPTIMIZER_VERSION, optimizedDir, readOptimization, stampsOf, type Optimization } from '../../modelFolder/optimizedVariant';
import { NO_SPINNING } from '../ortSpinning';
import { rewriteDecoder, type DecoderRewrite } from './decoderRewrite';
import { compareLogits, VERIFICATION_LIMITS } from './logitComparison';
import { inferenceThreads } from './visionLanguageModel';

/** A chat-formatted prompt like the ones Loupe sends, without the image: the positions compared. */
const PROBE =
  '<|im_start|>user\nDescribe this screenshot for a developer: a settings dialog titled "Network" with a ' +
  'proxy field, two checkboxes and Save and Cancel buttons.<|im_end|>\n<|im_start|>assistant\nThe screenshot shows';

export interface TextConfig {
  hidden_size?: number;
  num_attention_heads?: number;
  num_key_value_heads?: number;
  head_dim?: number;
  conv_L_cache?: number;
}

/** Inputs for one prefill from empty caches, built from the decoder session's own input names. */
export function emptyCacheFeeds(session: ort.InferenceSession, embeds: ort.Tensor, text: TextConfig): Record<string, ort.Tensor> {
  const tokens = embeds.dims[1]!;
  const hidden = text.hidden_size ?? embeds.dims[2]!;
  const kvHeads = text.num_key_value_heads ?? text.num_attention_heads ?? 1;
  const headDim = text.head_dim ?? hidden / (text.num_attention_heads ?? 1);
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    if (name === 'inputs_embeds') feeds[name] = embeds;
    else if (name === 'attention_mask') feeds[name] = new ort.Tensor('int64', new BigInt64Array(tokens).fill(1n), [1, tokens]);
    else if (name === 'position_ids') feeds[name] = new ort.Tensor('int64', BigInt64Array.from({ length: tokens }, (_, i) => BigInt(i)), [1, tokens]);
    // 0: logits for every position, which verification compares.
    else if (name === 'num_logits_to_keep') feeds[name] = new ort.Tensor('int64', BigInt64Array.of(0n), []);
    else if (name.startsWith('past_conv')) {
      const width = text.conv_L_cache ?? 3;
      feeds[name] = new ort.Tensor('float32', new Float32Array(hidden * width), [1, hidden, width]);
    } else if (name.startsWith('past_key_values')) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
    else throw new Error(`the decoder takes an input Loupe does not know how to fill ("${name}")`);
  }
  return feeds;
}

async function logitsOf(graphPath: string, embeds: ort.Tensor, text: TextConfig): Promise<{ data: Float32Array; vocabulary: number }> {
  const session = await ort.InferenceSession.create(graphPath, { intraOpNumThreads: inferenceThreads(), extra: NO_SPINNING });
  try {
    const { logits } = await session.run(emptyCacheFeeds(session, embeds, text));
    if (!logits || logits.type !== 'float32') throw new Error('the decoder gives no fp32 logits');
    return { data: logits.data as Float32Array, vocabulary: logits.dims.at(-1)! };
  } finally {
    await session.release();
  }
}

async function probeEmbeddings(modelDir: string, dtypes: DtypeMap): Promise<ort.Tensor> {
  const tokenizer = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
  const ids = (tokenizer.encode(PROBE, { add_special_tokens: false }) as number[]).map(BigInt);
  const session = await ort.InferenceSession.create(join(modelDir, graphFile('embed_tokens', dtypes.embed_tokens)), { intraOpNumThreads: inferenceThreads(), extra: NO_SPINNING });
  try {
    const { inputs_embeds: embeds } = await session.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(ids), [1, ids.length]) });
    if (!embeds || embeds.type !== 'float32') throw new Error('the token embeddings are not fp32');
    return embeds;
  } finally {
    await session.release();
  }
}

/** Hard links where the file system has them (the copy then costs only the rewritten graph), else copies. */
async function placeFiles(modelDir: string, target: string, files: string[]): Promise<void> {
  for (const file of files) {
    await mkdir(dirname(join(target, file)), { recursive: true });
    await placeFile(join(modelDir, file), join(target, file), true);
  }
}

/** Written beside and renamed over: never through a path that could be a hard link to a downloaded file. */
async function writeByRename(path: string, bytes: Uint8Array): Promise<void> {
  await writeFile(`${path}.tmp`, bytes);
  await rename(`${path}.tmp`, path);
}

/**
 * The files a copy is made from: the loaded precision's graphs and their data, and the
 * configuration, tokenizer and processor files beside them (installed.json is the original's own).
 */
export async function optimizationSources(modelDir: string, graphFiles: string[]): Promise<string[]> {
  const entries = await readdir(modelDir, { withFileTypes: true });
  return [...graphFiles, ...entries.filter((entry) => entry.isFile() && entry.name !== MARKER_FILE).map((entry) => entry.name)];
}

/**
 * Makes the optimised copy of an installed q4 model from `files` (optimizationSources), verifies
 * it and records the outcome (also when it fails: the work is not repeated until the files
 * change). Returns the record. The copy is assembled in a scratch folder with its record and
 * renamed into place whole, so a reader sees the old copy, none, or the new one.
 */
export async function optimizeModel(modelDir: string, dtypes: DtypeMap, files: string[]): Promise<Optimization> {
  const base = { schemaVersion: 1 as const, optimizerVersion: OPTIMIZER_VERSION, dtype: dtypes, sources: await stampsOf(modelDir, files), accuracyLevelNodes: 0, depthwiseConvNodes: 0, createdAt: new Date().toISOString() };
  const scratch = `${optimizedDir(modelDir)}.${process.pid}.tmp`;
  await removeAbandonedScratch(modelDir);
  let record: Optimization;
  try {
    record = await buildCopy(modelDir, dtypes, files, scratch, base);
  } catch (error) {
    record = { ...base, outcome: 'failed', reason: (error as Error).message };
  }
  if (record.outcome !== 'optimized') await rm(scratch, { recursive: true, force: true });
  await putInPlace(modelDir, scratch, record);
  return record;
}

/** Scratch folders of processes that died while optimising (and this process's own leftovers). */
async function removeAbandonedScratch(modelDir: string): Promise<void> {
  const prefix = `${basename(optimizedDir(modelDir))}.`;
  for (const name of await readdir(modelDir)) {
    const pid = Number(name.slice(prefix.length, -'.tmp'.length));
    if (!name.startsWith(prefix) || !name.endsWith('.tmp') || !Number.isInteger(pid)) continue;
    if (pid === process.pid || !isProcessAlive(pid)) await rm(join(modelDir, name), { recursive: true, force: true });
  }
}

/** The scratch folder, with the record written into it, becomes the copy. */
async function putInPlace(modelDir: string, scratch: string, record: Optimization): Promise<void> {
  await mkdir(scratch, { recursive: true });
  await writeFile(join(scratch, OPTIMIZED_MARKER), `${JSON.stringify(record, null, 2)}\n`);
  // The model may have been deleted meanwhile (its files are gone): then nothing is put back.
  // Whether a folder is optimised at all (installed models only) is the engine's decision.
  if (!(await stampsOf(modelDir, record.sources.map((source) => source.file)).then(() => true, () => false))) {
    await rm(scratch, { recursive: true, force: true });
    return;
  }
  await rm(optimizedDir(modelDir), { recursive: true, force: true });
  await rename(scratch, optimizedDir(modelDir));
}

/** A copy that verified but then failed to load is removed, and the failure kept until the files change. */
export async function markCopyUnusable(modelDir: string, reason: string): Promise<void> {
  const record = await readOptimization(modelDir);
  if (!record) return;
  const scratch = `${optimizedDir(modelDir)}.${process.pid}.tmp`;
  await rm(scratch, { recursive: true, force: true });
  await putInPlace(modelDir, scratch, { ...record, outcome: 'failed', reason });
}

async function buildCopy(modelDir: string, dtypes: DtypeMap, files: string[], scratch: string, base: Omit<Optimization, 'outcome'>): Promise<Optimization> {
  const decoder = graphFile('decoder_model_merged', dtypes.decoder_model_merged);
  const rewrite = await rewriteDecoder(join(modelDir, decoder));
  if (!rewrite) return { ...base, outcome: 'unchanged', reason: 'its 4-bit layers already use int8 arithmetic, it has no depthwise convolution to rewrite and its output layer is not fp32' };
  await placeFiles(modelDir, scratch, files.filter((file) => file !== decoder));
  await writeByRename(join(scratch, decoder), rewrite.bytes({ lastPositionOnly: false }));
  const changes = { accuracyLevelNodes: rewrite.accuracyLevelNodes, depthwiseConvNodes: rewrite.depthwiseConvNodes, ...(rewrite.outputLayer && { outputLayer: rewrite.outputLayer }) };

  const config = JSON.parse(await readFile(join(modelDir, 'config.json'), 'utf8')) as { text_config?: TextConfig };
  const embeds = await probeEmbeddings(modelDir, dtypes);
  const original = await logitsOf(join(modelDir, decoder), embeds, config.text_config ?? {});
  const rewritten = await logitsOf(join(scratch, decoder), embeds, config.text_config ?? {});
  const verification = compareLogits(original.data, rewritten.data, original.vocabulary);
  const close = verification.top1Agreement >= VERIFICATION_LIMITS.minTop1Agreement && verification.meanKl <= VERIFICATION_LIMITS.maxMeanKl;
  if (!close) {
    return {
      ...base,
      ...changes,
      verification,
      outcome: 'rejected',
      reason: `the rewritten decoder strayed from the original (needs at least ${VERIFICATION_LIMITS.minTop1Agreement * 100}% of next tokens the same and mean KL at most ${VERIFICATION_LIMITS.maxMeanKl})`,
    };
  }
  const lastPositionOnly = rewrite.outputLayer !== undefined && (await useLastPositionOnly(join(scratch, decoder), rewrite, rewritten, embeds, config.text_config ?? {}));
  return { ...base, ...changes, verification, lastPositionOnly, outcome: 'optimized' };
}

/**
 * Replaces the verified graph with the one whose output layer reads only the last position, if
 * that gives the verified graph's last-position logits (it should: rows are computed
 * independently). Otherwise the verified graph stays.
 */
async function useLastPositionOnly(path: string, rewrite: DecoderRewrite, verified: { data: Float32Array; vocabulary: number }, embeds: ort.Tensor, text: TextConfig): Promise<boolean> {
  const candidate = join(dirname(path), `last-position.${basename(path)}`);
  await writeFile(candidate, rewrite.bytes({ lastPositionOnly: true }));
  const last = await logitsOf(candidate, embeds, text).catch(() => undefined);
  const expected = verified.data.subarray(verified.data.length - verified.vocabulary);
  const same = last?.data.length === expected.length && last.data.every((value, i) => Math.abs(value - expected[i]!) <= 1e-3 * (1 + Math.abs(expected[i]!)));
  if (same) await rename(candidate, path);
  else await rm(candidate, { force: true });
  return same;
}
