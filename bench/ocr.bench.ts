/**
 * OCR speed on this machine: model load time, then the 1920x1080 dashboard screenshot from the
 * evaluation set recognised `runs` times (median, p90, CPU time, detection/recognition split),
 * and detection at reduced sizes (speed against accuracy). Writes bench/results/ocr.json and the
 * table between the bench markers in docs/ocr.md.
 * Run: node --import tsx bench/ocr.bench.ts [runs]
 */
// First: onnxruntime's telemetry off in this process before anything loads it (docs/privacy.md).
import '../src/engine/onnxPrivacy';
import { cpus, loadavg } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import {
  DETECTOR_SESSION_OPTIONS,
  RECOGNIZER_SESSION_OPTIONS,
  OCR_MODEL_FILES,
  OcrEngine,
  defaultOcrModelsDir,
  readDictionary,
} from '../src/engine/ocr';
import { DEFAULT_DETECTION, detectText } from '../src/engine/ocrDetection';
import { recognizeBoxes } from '../src/engine/ocrRecognition';
import { loadOcrFixtures } from '../test/support/ocrFixtures';
import { characterErrorRate, wordRecall } from '../test/support/ocrMetrics';
import { repoRoot } from '../test/support/paths';

const runs = Number(process.argv[2] ?? 7);
const SCREENSHOT = 'dashboard-1920@1x';
/** Longer sides the detection input is scaled down to in the sweep (1920 = the image's own). */
const DETECTION_SIDES = [960, 1280, 1600, 1920];

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const median = (values: number[]) => sorted(values)[Math.floor(values.length / 2)];
const p90 = (values: number[]) => sorted(values)[Math.min(values.length - 1, Math.ceil(values.length * 0.9) - 1)];
const round = (v: number) => Math.round(v);

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; cpuMs: number }> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const value = await work();
  const cpu = process.cpuUsage(cpuStart);
  return { value, ms: performance.now() - start, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0];
  const fixture = (await loadOcrFixtures()).find((f) => f.name === SCREENSHOT);
  if (!fixture) throw new Error(`${SCREENSHOT} is missing from test/fixtures/ocr (run scripts/gen_ocr_fixtures.mjs)`);

  const loads: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { value, ms } = await timed(() => OcrEngine.load());
    loads.push(ms);
    await value.dispose();
  }

  const engine = await OcrEngine.load();
  await engine.recognize(fixture.image); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  let last = await engine.recognize(fixture.image);
  for (let i = 0; i < runs; i++) {
    const { value, ms, cpuMs } = await timed(() => engine.recognize(fixture.image));
    wall.push(ms);
    cpu.push(cpuMs);
    last = value;
    console.log(`run ${i + 1}/${runs}: ${round(ms)} ms (cpu ${round(cpuMs)} ms)`);
  }
  await engine.dispose();

  // Where the time goes, measured with the engine's own building blocks and session options.
  const split = await stageSplit(fixture.image, Math.max(3, Math.ceil(runs / 2)));

  const sweep = [];
  for (const side of DETECTION_SIDES) {
    const scale = side / Math.max(fixture.image.width, fixture.image.height);
    const maxPixels = Math.floor(fixture.image.width * fixture.image.height * scale * scale);
    const sized = await OcrEngine.load(undefined, { detection: { maxPixels: side === 1920 ? DEFAULT_DETECTION.maxPixels : maxPixels } });
    const times: number[] = [];
    const cpuTimes: number[] = [];
    let result = await sized.recognize(fixture.image);
    for (let i = 0; i < 3; i++) {
      const { value, ms, cpuMs } = await timed(() => sized.recognize(fixture.image));
      times.push(ms);
      cpuTimes.push(cpuMs);
      result = value;
    }
    await sized.dispose();
    const row = {
      detectionLongSide: side,
      medianMs: round(median(times)),
      cpuMedianMs: round(median(cpuTimes)),
      cer: Number(characterErrorRate(result.text, fixture.truth).toFixed(4)),
      wordRecall: Number(wordRecall(result.text, fixture.truth).toFixed(4)),
    };
    console.log(row);
    sweep.push(row);
  }

  const results = {
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      // Other work on the machine while measuring: wall times are only comparable at similar load.
      loadAverage: Number(loadAtStart.toFixed(1)),
      node: process.version,
      onnxruntime: ort.env.versions.common,
    },
    date: new Date().toISOString().slice(0, 10),
    image: `${SCREENSHOT} (${fixture.image.width}x${fixture.image.height}, ${last.lines.length} lines)`,
    load: { runs: loads.length, medianMs: round(median(loads)) },
    recognize: {
      runs,
      medianMs: round(median(wall)),
      p90Ms: round(p90(wall)),
      cpuMedianMs: round(median(cpu)),
      detectionMedianMs: split.detectionMs,
      recognitionMedianMs: split.recognitionMs,
      boxes: split.boxes,
      cer: Number(characterErrorRate(last.text, fixture.truth).toFixed(4)),
      wordRecall: Number(wordRecall(last.text, fixture.truth).toFixed(4)),
    },
    detectionSizeSweep: sweep,
  };
  mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repoRoot, 'bench', 'results', 'ocr.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeDocsTable(results);
  console.log(results);
}

async function stageSplit(image: Parameters<OcrEngine['recognize']>[0], count: number) {
  const dir = defaultOcrModelsDir();
  const detector = await ort.InferenceSession.create(join(dir, OCR_MODEL_FILES.detector), DETECTOR_SESSION_OPTIONS);
  const recognizer = await ort.InferenceSession.create(join(dir, OCR_MODEL_FILES.recognizer), RECOGNIZER_SESSION_OPTIONS);
  const dictionary = readDictionary(join(dir, OCR_MODEL_FILES.dictionary));
  const detection: number[] = [];
  const recognition: number[] = [];
  let boxes = 0;
  for (let i = 0; i < count; i++) {
    const detected = await timed(() => detectText(detector, image, DEFAULT_DETECTION));
    const read = await timed(() => recognizeBoxes({ recognizer, dictionary }, image, detected.value, () => {}));
    detection.push(detected.ms);
    recognition.push(read.ms);
    boxes = detected.value.length;
  }
  await Promise.all([detector.release(), recognizer.release()]);
  return { detectionMs: round(median(detection)), recognitionMs: round(median(recognition)), boxes };
}

type Results = {
  machine: { cpu: string; cores: number; loadAverage: number; node: string; onnxruntime: string };
  date: string;
  image: string;
  load: { runs: number; medianMs: number };
  recognize: Record<string, number>;
  detectionSizeSweep: { detectionLongSide: number; medianMs: number; cpuMedianMs: number; cer: number; wordRecall: number }[];
};

function writeDocsTable(results: Results): void {
  const docs = join(repoRoot, 'docs', 'ocr.md');
  const start = '<!-- bench:ocr:start -->';
  const end = '<!-- bench:ocr:end -->';
  const r = results.recognize;
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const table = [
    start,
    `Measured ${results.date} on ${results.machine.cores} × ${results.machine.cpu} (load average ${results.machine.loadAverage} when it started), Node ${results.machine.node}, onnxruntime-node ${results.machine.onnxruntime}; image: ${results.image}. Medians; wall times on a shared 2-core machine are noisy, CPU time less so.`,
    '',
    '| what | median | p90 | runs |',
    '|---|---:|---:|---:|',
    `| load the three models | ${results.load.medianMs} ms | | ${results.load.runs} |`,
    `| recognise the 1920x1080 screenshot | ${r.medianMs} ms | ${r.p90Ms} ms | ${r.runs} |`,
    `| – of which detection | ${r.detectionMedianMs} ms | | |`,
    `| – of which recognition (${r.boxes} boxes, without the direction check) | ${r.recognitionMedianMs} ms | | |`,
    `| CPU time per screenshot (all threads) | ${r.cpuMedianMs} ms | | ${r.runs} |`,
    '',
    'Detection size against accuracy on the same screenshot:',
    '',
    '| detection input, longer side | median time | CPU time | CER | word recall |',
    '|---:|---:|---:|---:|---:|',
    ...results.detectionSizeSweep.map(
      (row) =>
        `| ${row.detectionLongSide}${row.detectionLongSide === 1920 ? ' (own size, the default)' : ''} | ${row.medianMs} ms | ${row.cpuMedianMs} ms | ${pct(row.cer)} | ${pct(row.wordRecall)} |`,
    ),
    end,
  ].join('\n');
  const current = readFileSync(docs, 'utf8');
  const from = current.indexOf(start), to = current.indexOf(end);
  if (from < 0 || to < 0) throw new Error(`${docs} lacks the ${start} ... ${end} markers`);
  writeFileSync(docs, current.slice(0, from) + table + current.slice(to + end.length));
}

void main();
