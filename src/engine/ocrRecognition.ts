/**
 * PP-OCR text recognition for detected boxes: straighten each box, with a margin, into a strip
 * 48 px high, run the recognizer and decode its CTC output greedily. Boxes the direction
 * classifier calls upside down are read both ways and keep the more confident reading.
 */
import * as ort from 'onnxruntime-node';
import { padQuad, type Quad } from './ocrGeometry';
import { centreOnInk, fillMargins, quadSize, sampleQuad, type Crop } from './ocrImage';
import type { RgbImage } from './rgbImage';

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

const REC_HEIGHT = 48;
/**
 * Narrow crops are padded to this width: a lone digit or short word reads more reliably with
 * some room. (PaddleOCR pads to 320; on our evaluation set that only cost time.)
 */
const REC_MIN_WIDTH = 96;
/**
 * Margins around each detected box, in box heights, filled with the box's background colour.
 * Detection boxes hug the glyphs; the recognizer was trained on looser crops and drops spaces
 * and edge letters ("Iagree", "Unabletosavefile") without room around the text. Real pixels
 * there would bring in checkbox and input borders ("[14"), hence the fill. Tuned in docs/ocr.md.
 */
const MARGIN_X = 0.5;
const MARGIN_Y = 0.2;
/**
 * Weak detections come with slack above and below the text, which shrinks it in the crop.
 * Boxes are cut down to the rows with ink, but to no less than this share of their height
 * (words without ascenders or descenders must not be blown up).
 */
const MIN_INK_SHARE = 0.8;
const CLS_WIDTH = 192;
const CLS_BATCH = 8;
/** The mobile classifier says "180" with 0.9+ for some upright words, hence the second opinion. */
const CLS_THRESHOLD = 0.9;
/** A box this much taller than wide holds vertical text: read it turned a quarter. */
const VERTICAL_RATIO = 1.5;

export async function recognizeBoxes(
  models: RecognitionModels,
  image: RgbImage,
  quads: Quad[],
  checkCancelled: () => void,
): Promise<RecognizedText[]> {
  const upright = quads.map((quad) => {
    const straight = centreOnInk(image, readingDirection(quad), MIN_INK_SHARE);
    const { height } = quadSize(straight);
    return padQuad(straight, MARGIN_X * height, MARGIN_Y * height);
  });
  const results = await recognize(models, image, upright, false, checkCancelled);
  if (!models.directionClassifier) return results;

  const suspects = await upsideDownCandidates(models.directionClassifier, image, upright, checkCancelled);
  // Mostly upside down: the whole image probably is. Decide for all boxes at once, which is
  // steadier than box by box (a misread line can still be fairly confident).
  const wholePage = suspects.length > quads.length / 2;
  const retry = wholePage ? upright.map((_, i) => i) : suspects;
  const turnedReadings = await recognize(models, image, retry.map((i) => turned(upright[i])), true, checkCancelled);
  if (wholePage) return meanConfidence(turnedReadings) > meanConfidence(results) ? turnedReadings : results;
  retry.forEach((index, k) => {
    if (turnedReadings[k].confidence > results[index].confidence) results[index] = turnedReadings[k];
  });
  return results;
}

const meanConfidence = (readings: RecognizedText[]) =>
  readings.reduce((sum, r) => sum + r.confidence, 0) / Math.max(1, readings.length);

/** Reorders the corners so quad[0] -> quad[1] runs along the text. */
function readingDirection(quad: Quad): Quad {
  const { width, height } = quadSize(quad);
  return height >= width * VERTICAL_RATIO ? [quad[1], quad[2], quad[3], quad[0]] : quad;
}

const turned = (quad: Quad): Quad => [quad[2], quad[3], quad[0], quad[1]];

/** Indexes of the boxes the direction classifier thinks are upside down. */
async function upsideDownCandidates(
  classifier: ort.InferenceSession,
  image: RgbImage,
  quads: Quad[],
  checkCancelled: () => void,
): Promise<number[]> {
  const candidates: number[] = [];
  for (let start = 0; start < quads.length; start += CLS_BATCH) {
    checkCancelled();
    const batch = quads.slice(start, start + CLS_BATCH);
    const crops = batch.map((quad) => cropToHeight(image, quad, CLS_WIDTH));
    const input = toTensor(crops, CLS_WIDTH);
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
 * One recognizer run per crop, at its own width: on CPU batching saves nothing and padding
 * short crops to a long neighbour's width changes what the model reads.
 */
async function recognize(
  models: RecognitionModels,
  image: RgbImage,
  quads: Quad[],
  upsideDown: boolean,
  checkCancelled: () => void,
): Promise<RecognizedText[]> {
  const { recognizer, dictionary } = models;
  const readOne = async (quad: Quad): Promise<RecognizedText> => {
    checkCancelled();
    const crop = cropToHeight(image, quad, Infinity);
    const input = toTensor([crop], Math.max(REC_MIN_WIDTH, crop.width));
    const outputs = await recognizer.run({ [recognizer.inputNames[0]]: input });
    input.dispose();
    const output = outputs[recognizer.outputNames[0]];
    const [, steps, classes] = output.dims as number[];
    if (classes !== dictionary.length + 1) {
      throw new Error(
        `The recognition model predicts ${classes} classes but the dictionary has ${dictionary.length} characters (+1 blank).`,
      );
    }
    return { ...decodeCtc(output.data as Float32Array, steps, classes, dictionary), upsideDown };
  };
  const results: RecognizedText[] = [];
  for (const quad of quads) results.push(await readOne(quad));
  return results;
}

/**
 * A padded quad as an upright strip REC_HEIGHT high (aspect kept up to maxWidth), its margins
 * painted in the background colour.
 */
function cropToHeight(image: RgbImage, padded: Quad, maxWidth: number): Crop {
  const { width, height } = quadSize(padded);
  const cropWidth = Math.max(1, Math.min(maxWidth, Math.ceil((REC_HEIGHT * width) / Math.max(height, 1))));
  const crop = sampleQuad(image, padded, cropWidth, REC_HEIGHT);
  const boxHeight = height / (1 + 2 * MARGIN_Y);
  fillMargins(crop, Math.round((MARGIN_X * boxHeight * cropWidth) / width), Math.round((MARGIN_Y * REC_HEIGHT) / (1 + 2 * MARGIN_Y)));
  return crop;
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

/** Greedy CTC: best class per step, repeats collapsed, blanks dropped; confidence is the mean peak. */
export function decodeCtc(
  probabilities: Float32Array,
  steps: number,
  classes: number,
  dictionary: readonly string[],
): Omit<RecognizedText, 'upsideDown'> {
  let text = '';
  let confidenceSum = 0;
  let count = 0;
  let previous = 0;
  for (let t = 0; t < steps; t++) {
    const offset = t * classes;
    let best = 0;
    let bestP = probabilities[offset];
    for (let k = 1; k < classes; k++) {
      const p = probabilities[offset + k];
      if (p > bestP) {
        bestP = p;
        best = k;
      }
    }
    if (best !== 0 && best !== previous) {
      text += dictionary[best - 1];
      confidenceSum += bestP;
      count++;
    }
    previous = best;
  }
  return { text, confidence: count ? confidenceSum / count : 0 };
}

