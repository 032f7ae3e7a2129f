/**
 * PP-OCR text recognition for detected boxes: crop each box (ocrCrops.ts), run the recognizer
 * on batches of crops of similar width and decode its CTC output greedily. Boxes the direction
 * classifier calls upside down are read both ways and keep the more confident reading.
 */
import * as ort from 'onnxruntime-node';
import { lineCrop, REC_HEIGHT, squeezedCrop, turnedCrop, type LineBox } from './ocrCrops';
import type { Crop } from './ocrImage';
import { decodeCtc } from './ocrCtc';
import type { RgbImage } from './rgbImage';

const env = (name: string, fallback: number) => (process.env[name] !== undefined ? Number(process.env[name]) : fallback);

export interface RecognizedText {
  text: string;
  /** Mean probability of the recognised characters, 0..1. */
  confidence: number;
  /** Read turned 180 degrees. */
  upsideDown: boolean;
}

export interface RecognitionModels {
  recognizer: ort.InferenceSession;
  /** Labels '0' and '180'. */
  directionClassifier?: ort.InferenceSession;
  /** Index i + 1 of the recognizer's output is dictionary[i]; 0 is the CTC blank. */
  dictionary: readonly string[];
}

/** Crops per recognizer run, as PaddleOCR's rec_batch_num. */
const REC_BATCH = env('OCR_BATCH', 6);
/** Batches are padded to their widest crop, and to at least this (PaddleOCR: 320). */
const REC_MIN_WIDTH = env('OCR_MINW', 96);
/** Recognizer runs at once (each on one thread). */
const REC_PARALLEL = env('OCR_PAR', 1);
const QUANT = env('OCR_QUANT', 0);
const PAD_EDGE = env('OCR_PADEDGE', 0) === 1;
const CLS_WIDTH = 192;
const CLS_BATCH = 6;
/** The mobile classifier says "180" with 0.9+ for some upright words, hence the second opinion. */
const CLS_THRESHOLD = 0.9;

export async function recognizeBoxes(
  models: RecognitionModels,
  image: RgbImage,
  boxes: LineBox[],
  checkCancelled: () => void,
): Promise<RecognizedText[]> {
  const crops = boxes.map((box) => lineCrop(image, box));
  const results = await recognize(models, crops, false, checkCancelled);
  if (!models.directionClassifier) return results;

  const suspects = await upsideDownCandidates(models.directionClassifier, crops, checkCancelled);
  // Mostly upside down: the whole image probably is. Decide for all boxes at once, which is
  // steadier than box by box (a misread line can still be fairly confident).
  const wholePage = suspects.length > boxes.length / 2;
  const retry = wholePage ? crops.map((_, i) => i) : suspects;
  const turnedReadings = await recognize(models, retry.map((i) => turnedCrop(crops[i])), true, checkCancelled);
  if (wholePage) return meanConfidence(turnedReadings) > meanConfidence(results) ? turnedReadings : results;
  retry.forEach((index, k) => {
    if (turnedReadings[k].confidence > results[index].confidence) results[index] = turnedReadings[k];
  });
  return results;
}

const meanConfidence = (readings: RecognizedText[]) =>
  readings.reduce((sum, r) => sum + r.confidence, 0) / Math.max(1, readings.length);

/** Indexes of the crops the direction classifier thinks are upside down. */
async function upsideDownCandidates(classifier: ort.InferenceSession, crops: Crop[], checkCancelled: () => void): Promise<number[]> {
  const candidates: number[] = [];
  for (let start = 0; start < crops.length; start += CLS_BATCH) {
    checkCancelled();
    const batch = crops.slice(start, start + CLS_BATCH).map((crop) => squeezedCrop(crop, CLS_WIDTH));
    const input = toTensor(batch, CLS_WIDTH);
    const outputs = await classifier.run({ [classifier.inputNames[0]]: input });
    input.dispose();
    const probabilities = outputs[classifier.outputNames[0]].data as Float32Array;
    batch.forEach((_, i) => {
      if (probabilities[i * 2 + 1] > CLS_THRESHOLD) candidates.push(start + i);
    });
  }
  return candidates;
}

/**
 * Crops sorted by width and read REC_BATCH at a time, each batch padded to its widest crop, as
 * PaddleOCR does: one run per crop costs about twice the CPU time.
 */
async function recognize(models: RecognitionModels, crops: Crop[], upsideDown: boolean, checkCancelled: () => void): Promise<RecognizedText[]> {
  const { recognizer, dictionary } = models;
  const order = crops.map((_, i) => i).sort((a, b) => crops[a].width - crops[b].width);
  const batches: number[][] = [];
  if (QUANT > 0) {
    const padded = (i: number) => Math.max(REC_MIN_WIDTH, Math.ceil(crops[i].width / QUANT) * QUANT);
    for (const i of order) {
      const last = batches.at(-1);
      if (last && last.length < REC_BATCH && padded(last[0]) === padded(i)) last.push(i);
      else batches.push([i]);
    }
  } else for (let start = 0; start < order.length; start += REC_BATCH) batches.push(order.slice(start, start + REC_BATCH));
  const results: RecognizedText[] = new Array(crops.length);
  const readBatch = async (batch: number[]) => {
    checkCancelled();
    const width = Math.max(REC_MIN_WIDTH, ...batch.map((i) => (QUANT > 0 ? Math.ceil(crops[i].width / QUANT) * QUANT : crops[i].width)));
    const input = toTensor(batch.map((i) => crops[i]), width);
    const outputs = await recognizer.run({ [recognizer.inputNames[0]]: input });
    input.dispose();
    const output = outputs[recognizer.outputNames[0]];
    const [, steps, classes] = output.dims as number[];
    if (classes !== dictionary.length + 1) {
      throw new Error(`The recognition model predicts ${classes} classes but the dictionary has ${dictionary.length} characters (+1 blank).`);
    }
    const data = output.data as Float32Array;
    batch.forEach((index, n) => {
      const probabilities = data.subarray(n * steps * classes, (n + 1) * steps * classes);
      results[index] = { ...decodeCtc(probabilities, steps, classes, dictionary), upsideDown };
    });
  };
  let next = 0;
  const worker = async () => {
    while (next < batches.length) await readBatch(batches[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(REC_PARALLEL, batches.length) }, worker));
  return results;
}

/** NCHW float tensor, BGR as PaddleOCR's cv2 pipeline, scaled to [-1, 1], zero-padded on the right. */
function toTensor(crops: Crop[], width: number): ort.Tensor {
  const plane = REC_HEIGHT * width;
  const data = new Float32Array(crops.length * 3 * plane);
  crops.forEach((crop, n) => {
    for (let c = 0; c < 3; c++) {
      const base = (n * 3 + c) * plane;
      const source = 2 - c;
      for (let y = 0; y < crop.height; y++) {
        for (let x = 0; x < crop.width; x++) {
          data[base + y * width + x] = crop.data[(y * crop.width + x) * 3 + source] / 127.5 - 1;
        }
        if (PAD_EDGE) data.fill(data[base + y * width + crop.width - 1], base + y * width + crop.width, base + (y + 1) * width);
      }
    }
  });
  return new ort.Tensor('float32', data, [crops.length, 3, REC_HEIGHT, width]);
}
