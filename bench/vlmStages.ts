/**
 * Where a question's time goes, for one model folder, in this process: the real engine service
 * (image decode, OCR, preprocessing, transformers.js generation) with every ONNX Runtime session
 * call timed at `InferenceSession.prototype.run`, which transformers.js and our OCR both go
 * through. Run by bench/vlm.bench.ts once per model (so peak RSS is per model) with
 * LOUPE_ENGINE_THREADS set; prints one JSON object. Detailed runs once (it takes most of a minute).
 *   node --import tsx bench/vlmStages.ts <modelDir> [runs] [presets, comma-separated]
 */
import '../src/protocol/onnxPrivacy';
import * as ort from 'onnxruntime-node';
import { EngineService } from '../src/engine/engineService';
import type { EngineTransport } from '../src/engine/transport';
import { EngineEventSchema, type EngineEvent, type GenerationStats } from '../src/protocol/engine';
import { resolveOptions, type PresetName } from '../src/protocol/options';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import { join } from 'node:path';
import { ocrFixtureDir } from '../test/support/ocrFixtures';
import { imageFixture } from '../test/support/paths';
import { median } from './benchStats';
import { decoderFlops, visionFlops } from './modelFlops';

const STAGE_CASES: Array<{ image: string; preset: PresetName }> = [
  { image: 'screenshot-256x384.png', preset: 'fast' },
  { image: 'dashboard-1920@1x.png', preset: 'fast' },
  { image: 'dashboard-1920@1x.png', preset: 'balanced' },
  { image: 'dashboard-1920@1x.png', preset: 'detailed' },
];
const NEW_TOKENS = 32;

interface SessionCall {
  graph: 'vision' | 'embed' | 'decoder' | 'ocr';
  startedAt: number;
  ms: number;
  flops: number;
}

const calls: SessionCall[] = [];

/** Which graph a session is, from its inputs; the work it does, from the shapes it is given. */
function timeSessions(): void {
  // The class behind the factory type onnxruntime-common declares.
  const prototype = (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype;
  const run = prototype.run;
  prototype.run = async function timedRun(this: ort.InferenceSession, feeds: ort.InferenceSession.FeedsType, ...rest: unknown[]) {
    const startedAt = performance.now();
    const result = await (run as (...args: unknown[]) => Promise<ort.InferenceSession.ReturnType>).call(this, feeds, ...rest);
    const ms = performance.now() - startedAt;
    const inputs = feeds as Record<string, ort.Tensor>;
    if (inputs.pixel_values) calls.push({ graph: 'vision', startedAt, ms, flops: visionFlops(inputs.pixel_values.dims as number[]) });
    else if (inputs.input_ids) calls.push({ graph: 'embed', startedAt, ms, flops: 0 });
    else if (inputs.inputs_embeds) {
      const tokens = Number(inputs.inputs_embeds.dims[1]);
      const past = Number(inputs.attention_mask!.dims[1]) - tokens;
      calls.push({ graph: 'decoder', startedAt, ms, flops: decoderFlops(tokens, past, Number(result.logits!.dims[1])) });
    }
    else calls.push({ graph: 'ocr', startedAt, ms, flops: 0 });
    return result;
  } as typeof run;
}

/** The engine service in this process, behind a transport that records when each event came. */
function inProcessEngine() {
  let handler: (message: unknown) => void = () => undefined;
  const waiting = new Map<string, { events: Array<{ at: number; event: EngineEvent }>; done: (stats: GenerationStats) => void; fail: (error: Error) => void }>();
  const transport: EngineTransport = {
    send(event) {
      const parsed = EngineEventSchema.parse(event);
      if (!('id' in parsed) || parsed.id === undefined) return;
      const job = waiting.get(parsed.id);
      job?.events.push({ at: performance.now(), event: parsed });
      if (parsed.type === 'done') job?.done(parsed.stats);
      if (parsed.type === 'error') job?.fail(new Error(parsed.error.message));
    },
    onMessage(next) {
      handler = next;
    },
    close() {},
  };
  new EngineService(transport).start();
  let next = 0;
  return async (request: Record<string, unknown>) => {
    const id = `bench-${next++}`;
    const events: Array<{ at: number; event: EngineEvent }> = [];
    const sentAt = performance.now();
    const stats = await new Promise<GenerationStats>((done, fail) => {
      waiting.set(id, { events, done, fail });
      handler({ type: 'generate', id, ...request });
    });
    waiting.delete(id);
    return { sentAt, stats, events };
  };
}

/** The screenshot fixture, or one of the OCR set's (the 1920x1080 dashboard). */
const benchImage = (name: string) => (existsSync(imageFixture(name)) ? imageFixture(name) : join(ocrFixtureDir, name));

function phaseAt(events: Array<{ at: number; event: EngineEvent }>, phase: string): number {
  const found = events.find(({ event }) => event.type === 'progress' && event.phase === phase);
  if (!found) throw new Error(`no "${phase}" progress event`);
  return found.at;
}

async function main(): Promise<void> {
  const [modelDir, runsArg, presetsArg] = process.argv.slice(2);
  if (!modelDir) throw new Error('usage: vlmStages.ts <modelDir> [runs] [preset,preset]');
  const runs = Number(runsArg ?? 3);
  const cases = STAGE_CASES.filter(({ preset }) => !presetsArg || presetsArg.split(',').includes(preset));
  timeSessions();
  const ask = inProcessEngine();
  type Sample = { stats: GenerationStats; stages: Record<string, number> };
  const request = (image: string, preset: PresetName, extra: Record<string, unknown> = {}) => ({
    modelDir,
    task: 'question',
    question: 'What is on this screen?',
    image: { kind: 'path', path: benchImage(image) },
    options: resolveOptions(preset, { maxNewTokens: NEW_TOKENS }),
    ...extra,
  });
  const loadStarted = performance.now();
  await ask(request('screenshot-256x384.png', 'fast', { options: resolveOptions('fast', { maxNewTokens: 1 }) }));
  const loadMs = performance.now() - loadStarted;

  // Another image in between, so each run encodes its image instead of reusing the last one's features.
  const other = join(mkdtempSync(join(tmpdir(), 'loupe-bench-')), 'other.png');
  await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png().toFile(other);
  const forget = () => ask({ ...request('', 'fast', { options: resolveOptions('fast', { maxNewTokens: 1 }) }), image: { kind: 'path', path: other } });

  const rows = [];
  for (const { image, preset } of cases) {
    const samples: Sample[] = [];
    for (let run = 0; run < (preset === 'detailed' ? 1 : runs); run++) {
      await forget();
      calls.length = 0;
      const { stats, events } = await ask(request(image, preset));
      const readingAt = phaseAt(events, 'reading-image');
      const encodingAt = phaseAt(events, 'encoding-image');
      const doneAt = events.at(-1)!.at;
      const of = (graph: SessionCall['graph']) => calls.filter((call) => call.graph === graph);
      const [prefill, ...steps] = of('decoder');
      const sessionMs = calls.reduce((sum, call) => sum + call.ms, 0);
      const preprocessingMs = (of('vision')[0]?.startedAt ?? encodingAt) - encodingAt;
      samples.push({ stats, stages: {
        imageDecodeMs: encodingAt - readingAt,
        preprocessingMs,
        visionMs: of('vision').reduce((sum, call) => sum + call.ms, 0),
        visionFlops: of('vision').reduce((sum, call) => sum + call.flops, 0),
        embedMs: of('embed').reduce((sum, call) => sum + call.ms, 0),
        prefillMs: prefill!.ms,
        prefillFlops: prefill!.flops,
        decodeStepMs: steps.length > 0 ? median(steps.map((step) => step.ms)) : 0,
        sessionMs,
        // What the generation loop adds to the sessions' own time (preprocessing reported apart).
        overheadMs: doneAt - encodingAt - preprocessingMs - sessionMs,
      } });
    }
    const pick = (key: string) => median(samples.map((sample) => sample.stages[key]!));
    rows.push({
      image,
      preset,
      tiles: samples[0]!.stats.tiles,
      imageTokens: samples[0]!.stats.imageTokens,
      promptTokens: samples[0]!.stats.promptTokens,
      generatedTokens: samples[0]!.stats.generatedTokens,
      ttftMs: median(samples.map((sample) => sample.stats.timeToFirstTokenMs)),
      tokensPerSecond: median(samples.map((sample) => sample.stats.tokensPerSecond)),
      imageDecodeMs: pick('imageDecodeMs'),
      preprocessingMs: pick('preprocessingMs'),
      visionMs: pick('visionMs'),
      visionGflop: pick('visionFlops') / 1e9,
      embedMs: pick('embedMs'),
      prefillMs: pick('prefillMs'),
      prefillGflop: pick('prefillFlops') / 1e9,
      decodeStepMs: pick('decodeStepMs'),
      sessionMs: pick('sessionMs'),
      overheadMs: pick('overheadMs'),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    });
  }

  // A follow-up about the same image (Fast): only the new turn is prefilled. The opening question
  // is about an image the engine has not seen last, as a user's first question is.
  const first = [];
  const followUp = [];
  for (let run = 0; run < runs; run++) {
    await forget();
    const opening = await ask(request('screenshot-256x384.png', 'fast', { question: `What is on this screen? (${run})` }));
    const answer = opening.events.filter(({ event }) => event.type === 'token').map(({ event }) => (event as { text: string }).text).join('');
    const next = await ask(request('screenshot-256x384.png', 'fast', {
      question: 'And what should I click next?',
      history: [{ role: 'user', text: `What is on this screen? (${run})`, task: 'question' }, { role: 'assistant', text: answer }],
    }));
    if (next.stats.cache !== 'conversation') throw new Error(`the follow-up did not reuse the conversation (cache: ${next.stats.cache})`);
    first.push(opening.stats.timeToFirstTokenMs);
    followUp.push(next.stats.timeToFirstTokenMs);
  }

  // OCR grounding, when it is on, runs once per image before the question.
  calls.length = 0;
  const grounded = await ask(request('dashboard-1920@1x.png', 'fast', { ocrGrounding: true, task: 'explain-screenshot', question: '' }));
  process.stdout.write(
    `${JSON.stringify({
      modelDir,
      threads: Number(process.env.LOUPE_ENGINE_THREADS ?? 0),
      loadPlusFirstTokenMs: loadMs,
      rows,
      followUp: { firstTtftMs: median(first), followUpTtftMs: median(followUp) },
      ocrGroundingMs: grounded.stats.ocrMs ?? 0,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  );
  process.exit(0);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
