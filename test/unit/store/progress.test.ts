import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpeedMeter, describeProgress, formatDuration, progressBar } from '../../../src/store/progress';
import { formatBytes } from '../../../src/protocol/byteSizes';

describe('progress text', () => {
  it('formats sizes and durations for people', () => {
    assert.equal(formatBytes(999), '999 B');
    assert.equal(formatBytes(1_500), '1.5 KB');
    assert.equal(formatBytes(770_000_000), '770 MB');
    assert.equal(formatBytes(2_350_000_000), '2.4 GB');
    assert.equal(formatDuration(36.4), '36 s');
    assert.equal(formatDuration(125), '2 min 05 s');
    assert.equal(formatDuration(3 * 3600 + 60 * 7), '3 h 07 min');
  });

  it('describes a download with percent, bytes, speed and time left', () => {
    const progress = { phase: 'downloading' as const, bytesDone: 320_000_000, bytesTotal: 770_000_000, bytesPerSecond: 12_300_000, etaSeconds: 36.6 };
    assert.equal(describeProgress(progress), '41% · 320 MB of 770 MB · 12.3 MB/s · 37 s left');
    assert.equal(progressBar(progress, 10), '[####......]');
    assert.equal(describeProgress({ ...progress, bytesPerSecond: 0, etaSeconds: undefined }), '41% · 320 MB of 770 MB');
    assert.equal(describeProgress({ ...progress, phase: 'verifying', file: 'onnx/x.onnx' }), 'Verifying onnx/x.onnx…');
  });

  it('measures speed over a sliding window', () => {
    let now = 0;
    const meter = new SpeedMeter(5_000, () => now);
    assert.equal(meter.bytesPerSecond(), 0);
    for (let i = 0; i < 10; i++) {
      meter.add(1_000_000);
      now += 1_000;
    }
    assert.ok(Math.abs(meter.bytesPerSecond() - 1_000_000) < 250_000, `about 1 MB/s, got ${meter.bytesPerSecond()}`);
    now += 60_000;
    meter.add(1);
    assert.ok(meter.bytesPerSecond() < 1_000, 'a stall shows as a low speed once old samples leave the window');
  });
});
