import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DETECTION, boxesFromProbabilities, detectionScale, tileSpans } from '../../../../src/engine/ocr/ocrDetection';
import { minAreaRect, quadBounds, rectToQuad, type Point } from '../../../../src/engine/ocr/ocrGeometry';
import { decodeCtc } from '../../../../src/engine/ocr/ocrCtc';

describe('OCR detection geometry', () => {
  it('finds the minimum-area rectangle of a rotated rectangle', () => {
    const angle = (20 * Math.PI) / 180;
    const points: Point[] = [];
    for (let u = 0; u <= 40; u += 2) for (let v = 0; v <= 10; v += 2) {
      points.push([100 + u * Math.cos(angle) - v * Math.sin(angle), 50 + u * Math.sin(angle) + v * Math.cos(angle)]);
    }
    const rect = minAreaRect(points);
    assert.ok(Math.abs(rect.width - 40) < 1e-6 && Math.abs(rect.height - 10) < 1e-6, `${rect.width}x${rect.height}`);
    assert.ok(Math.abs(Math.atan2(rect.axis[1], rect.axis[0]) - angle) < 1e-6);
  });

  it('turns one blob of text probability into one box, grown back out', () => {
    const width = 64, height = 32;
    const map = new Float32Array(width * height);
    // The model marks a shrunk core: rows 12..19, columns 10..49.
    for (let y = 12; y < 20; y++) for (let x = 10; x < 50; x++) map[y * width + x] = 0.9;
    const boxes = boxesFromProbabilities(map, width, height, DEFAULT_DETECTION);
    assert.equal(boxes.length, 1);
    const { x0, y0, x1, y1 } = quadBounds(boxes[0].quad);
    // Core 39x7 between pixel centres, unclip distance 39*7*1.5/(2*46) = 4.45 on each side.
    assert.deepEqual([x0, y0, x1, y1].map((v) => Math.round(v * 10) / 10), [5.5, 7.5, 53.5, 23.5]);
    assert.ok(boxes[0].score > 0.6);
  });

  it('drops faint blobs and specks', () => {
    const width = 64, height = 32;
    const map = new Float32Array(width * height);
    for (let y = 4; y < 10; y++) for (let x = 4; x < 40; x++) map[y * width + x] = 0.45; // below the box threshold
    map[20 * width + 50] = 0.99; // a single pixel
    assert.deepEqual(boxesFromProbabilities(map, width, height, DEFAULT_DETECTION), []);
  });

  it('covers long sides with overlapping tiles that each keep their own part', () => {
    for (const length of [5, 1080, 2560, 2561, 4000, 12000]) {
      const spans = tileSpans(length, 2560);
      assert.equal(spans[0].keepFrom, 0);
      assert.equal(spans.at(-1)!.keepTo, length);
      for (const [i, span] of spans.entries()) {
        assert.ok(span.size <= 2560 && span.size % 32 === 0, `${length}: size ${span.size}`);
        assert.ok(span.start <= span.keepFrom && span.keepTo <= span.start + span.size, `${length}: tile ${i} keeps what it saw`);
        if (i > 0) assert.equal(span.keepFrom, spans[i - 1].keepTo);
        if (spans.length > 1) assert.ok(span.start + span.size <= length);
      }
    }
  });

  it('keeps screenshots at their own size, shrinks huge images and grows tiny ones', () => {
    assert.equal(detectionScale(1920, 1080, DEFAULT_DETECTION), 1);
    assert.equal(detectionScale(2560, 4800, DEFAULT_DETECTION), 1);
    assert.ok(Math.abs(detectionScale(8000, 6000, DEFAULT_DETECTION) ** 2 * 48e6 - DEFAULT_DETECTION.maxPixels) < 1);
    assert.equal(detectionScale(32, 16, DEFAULT_DETECTION), 2);
  });

  it('round-trips a rectangle through its corners', () => {
    const quad = rectToQuad({ center: [10, 5], axis: [1, 0], width: 8, height: 4 });
    assert.deepEqual(quad, [[6, 3], [14, 3], [14, 7], [6, 7]]);
  });
});

describe('CTC decoding', () => {
  it('collapses repeats, drops blanks and keeps doubled letters split by a blank', () => {
    const dictionary = ['a', 'b', ' '];
    const classes = dictionary.length + 1;
    const path = [1, 1, 0, 1, 2, 2, 3, 0, 0, 2];
    const probabilities = new Float32Array(path.length * classes);
    path.forEach((k, t) => {
      probabilities.fill(0.1 / (classes - 1), t * classes, (t + 1) * classes);
      probabilities[t * classes + k] = 0.9;
    });
    const { text, confidence } = decodeCtc(probabilities, path.length, classes, dictionary);
    assert.equal(text, 'aab b');
    assert.ok(Math.abs(confidence - 0.9) < 1e-6);
  });

  it('reads a blank step as a space where the space class is likely enough, after a colon sooner', () => {
    const dictionary = ['a', ':', '.', ' '];
    const classes = dictionary.length + 1;
    // Each step: [class, its probability, probability of the space class beside a blank winner].
    const decode = (steps: [number, number][]) => {
      const probabilities = new Float32Array(steps.length * classes);
      steps.forEach(([k, space], t) => {
        probabilities[t * classes + k] = 1 - space;
        probabilities[t * classes + classes - 1] += space;
      });
      return decodeCtc(probabilities, steps.length, classes, dictionary).text;
    };
    assert.equal(decode([[1, 0], [0, 0.2], [1, 0]]), 'a a');
    assert.equal(decode([[1, 0], [0, 0.1], [1, 0]]), 'aa');
    assert.equal(decode([[2, 0], [0, 0.1], [1, 0]]), ': a');
    assert.equal(decode([[2, 0], [0, 0.03], [1, 0]]), ':a');
    // Not before closing punctuation, not at either end.
    assert.equal(decode([[1, 0], [0, 0.4], [3, 0]]), 'a.');
    assert.equal(decode([[0, 0.4], [1, 0], [0, 0.4]]), 'a');
  });
});
