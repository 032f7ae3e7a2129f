/**
 * PP-OCR text recognition for detected boxes: crop each box (ocrCrops.ts), run the recognizer
 * on batches of crops of equal padded width and decode its CTC output (ocrCtc.ts). Boxes the direction
 * classifier calls upside down are read both ways and keep the more confident reading.
 */
import * as ort from 'onnxruntime-node';
import { lineCrop, REC_HEIGHT, squeezedCrop, turnedCrop, type LineBox } from './ocrCrops';
import type { Crop } from './ocrImage';
import { decodeCtc } from './ocrCtc';
import type { RgbImage } from '../../imaging/rgbImage';

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

/** Crops per recognizer run, as PaddleOCR's rec_batch_num: enough work for two threads. */
const REC_BATCH = 6;
/**
 * Each crop is padded (PaddleOCR's zero, mid-grey) to a multiple of this width, and only crops
 * of the same padded width share a run. Padded to a wider neighbour, as PaddleOCR batches, a
 * line reads differently depending on what else is on the page (docs/ocr.md).
 */
const REC_WIDTH_STEP = 32;
/** Narrow crops are padded to this: a lone digit reads more reliably with some room (PaddleOCR: 320). */
const REC_MIN_WIDTH = 96;
/**
 * A reading at least this confident is taken to be upright, and the direction classifier is not
 * asked: over the evaluation set turned 180 degrees, no reading reached 0.97 (docs/ocr.md).
 */
const UPRIGHT_CONFIDENCE = 0.97;
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

  const doubtful = results.flatMap((r, i) => (r.confidence < UPRIGHT_CONFIDENCE ? [i] : []));
  const suspects = await upsideDownCandidates(models.directionClassifier, crops, doubtful, checkCancelled);
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

/** Those of the `indexes` whose crops the direction classifier thinks are upside down. */
async function upsideDownCandidates(
  classifier: ort.InferenceSession,
  crops: Crop[],
  indexes: number[],
  checkCancelled: () => void,
): Promise<number[]> {
  const candidates: number[] = [];
  for (let start = 0; start < indexes.length; start += CLS_BATCH) {
    checkCancelled();
    const batch = indexes.slice(start, start + CLS_BATCH);
    const input = toTensor(batch.map((i) => squeezedCrop(crops[i], CLS_WIDTH)), CLS_WIDTH);
    const outputs = await classifier.run({ [classifier.inputNames[0]]: input });
    input.dispose();
    const probabilities = outputs[classifier.outputNames[0]].data as Float32Array;
    batch.forEach((index, n) => {
      if (probabilities[n * 2 + 1] > CLS_THRESHOLD) candidates.push(index);
    });
  }
  return candidates;
}

/** Crops of equal padded width read REC_BATCH at a time. */
async function recognize(models: RecognitionModels, crops: Crop[], upsideDown: boolean, checkCancelled: () => void): Promise<RecognizedText[]> {
  const { recognizer, dictionary } = models;
  const paddedWidth = (crop: Crop) => Math.max(REC_MIN_WIDTH, Math.ceil(crop.width / REC_WIDTH_STEP) * REC_WIDTH_STEP);
  const batches: number[][] = [];
  for (const index of crops.map((_, i) => i).sort((a, b) => crops[a].width - crops[b].width)) {
    const last = batches.at(-1);
    if (last && last.length < REC_BATCH && paddedWidth(crops[last[0]]) === paddedWidth(crops[index])) last.push(index);
    else batches.push([index]);
  }
  const results: RecognizedText[] = new Array(crops.length);
  for (const batch of batches) {
    checkCancelled();
    const input = toTensor(batch.map((i) => crops[i]), paddedWidth(crops[batch[0]]));
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
  }
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
      }
    }
  });
  return new ort.Tensor('float32', data, [crops.length, 3, REC_HEIGHT, width]);
}
