import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getManifest } from '../../../src/models/catalog';
import { planDownload } from '../../../src/models/download';
import { isModelError } from '../../../src/models/errors';
import type { HubFile, HubRevision } from '../../../src/models/hubClient';
import { findPrecision, type ModelManifest } from '../../../src/models/manifest';

const SHA = (n: number) => String(n).padStart(64, '0');

function revision(paths: string[], commit = 'f'.repeat(40)): HubRevision {
  const files = new Map<string, HubFile>();
  paths.forEach((path, i) => files.set(path, { path, size: 100 + i, sha256: path.includes('onnx') ? SHA(i) : undefined, gitOid: 'a'.repeat(40) }));
  return { repo: 'org/repo', requested: 'main', commit, files };
}

const lfm = getManifest('lfm2-vl-450m');
const q4 = findPrecision(lfm);
const graphs = [q4.graphs.vision_encoder.file, q4.graphs.embed_tokens.file, q4.graphs.decoder_model_merged.file];

describe('download plan', () => {
  it('takes shared files, graphs, listed external-data chunks and present optional files only', () => {
    const listed = [...lfm.sharedFiles, ...graphs, `${q4.graphs.decoder_model_merged.file}_data`, `${q4.graphs.decoder_model_merged.file}_data_1`, 'chat_template.jinja', 'onnx/decoder_model_merged_fp16.onnx', 'onnx/decoder_model_merged_fp16.onnx_data', 'README.md'];
    const plan = planDownload(lfm, q4, revision(listed));
    const paths = plan.map((f) => f.path);
    assert.ok(paths.includes('onnx/decoder_model_merged_q4.onnx_data'));
    assert.ok(paths.includes('onnx/decoder_model_merged_q4.onnx_data_1'), 'multi-chunk external data');
    assert.ok(paths.includes('chat_template.jinja'), 'optional file present in the revision');
    assert.ok(!paths.includes('generation_config.json'), 'optional file absent from the revision');
    assert.ok(!paths.includes('onnx/decoder_model_merged_fp16.onnx'), 'other precisions are not fetched');
    assert.ok(!paths.includes('README.md'));
    assert.equal(plan.find((f) => f.path === 'onnx/decoder_model_merged_q4.onnx')?.sha256, SHA(listed.indexOf('onnx/decoder_model_merged_q4.onnx')));
  });

  it('lists every missing required file', () => {
    assert.throws(
      () => planDownload(lfm, q4, revision([...lfm.sharedFiles, q4.graphs.vision_encoder.file])),
      (e: unknown) => isModelError(e, 'MISSING_FILES') && /onnx\/embed_tokens_fp16\.onnx, onnx\/decoder_model_merged_q4\.onnx/.test(e.message) && /org\/repo@main \(commit ffffffffffff\)/.test(e.message),
    );
    const pinned = getManifest('lfm2.5-vl-450m');
    const precision = findPrecision(pinned);
    const listed = [...pinned.sharedFiles, ...Object.values(precision.graphs).map((g) => g.file)];
    assert.throws(() => planDownload(pinned, precision, revision(listed)), /onnx\/vision_encoder_fp16\.onnx_data/, 'declared external data must exist');
  });

  it('lets a manifest pin win and refuses a hub that disagrees with it', () => {
    const listed = [...lfm.sharedFiles, ...graphs];
    const rev = revision(listed);
    const decoder = 'onnx/decoder_model_merged_q4.onnx';
    const listedDecoder = rev.files.get(decoder) as HubFile;
    const agreeing: ModelManifest = { ...lfm, pins: { [decoder]: { sha256: listedDecoder.sha256 as string, size: listedDecoder.size } } };
    assert.equal(planDownload(agreeing, q4, rev).find((f) => f.path === decoder)?.sha256, listedDecoder.sha256);
    const disagreeing: ModelManifest = { ...lfm, pins: { [decoder]: { sha256: SHA(999), size: listedDecoder.size } } };
    assert.throws(() => planDownload(disagreeing, q4, rev), (e: unknown) => isModelError(e, 'CHECKSUM_MISMATCH') && /manifest pins/.test(e.message));
  });

  it('refuses files the hub gives no checksum for', () => {
    const rev = revision([...lfm.sharedFiles, ...graphs]);
    (rev.files.get('config.json') as HubFile).gitOid = undefined;
    assert.throws(() => planDownload(lfm, q4, rev), /no size or checksum for config\.json/);
  });
});
