import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getManifest } from '../../../src/catalog/catalog';
import { planDownload } from '../../../src/store/download';
import { isModelError } from '../../../src/modelFolder/modelErrors';
import type { HubFile, HubRevision } from '../../../src/store/hubClient';
import { findPrecision, type ModelManifest, type Precision } from '../../../src/catalog/manifest';

const SHA = (n: number) => String(n).padStart(64, '0');

function revision(paths: string[], commit = 'f'.repeat(40)): HubRevision {
  const files = new Map<string, HubFile>();
  paths.forEach((path, i) => files.set(path, { path, size: 100 + i, sha256: path.includes('onnx') ? SHA(i) : undefined, gitOid: 'a'.repeat(40) }));
  return { repo: 'org/repo', requested: 'main', commit, files };
}

const lfm = getManifest('lfm2.5-vl-450m');
const q4 = findPrecision(lfm);
const graphs = ['onnx/vision_encoder_fp16.onnx', 'onnx/embed_tokens_fp16.onnx', 'onnx/decoder_model_merged_q4.onnx'];

describe('download plan', () => {
  it('takes shared files, the listed graphs, their external-data chunks, chat templates and present optional files only', () => {
    const listed = [
      ...lfm.sharedFiles,
      ...graphs,
      'onnx/decoder_model_merged_q4.onnx_data',
      'onnx/decoder_model_merged_q4.onnx_data_1',
      'onnx/decoder_model_merged_q4.onnx_database',
      'chat_template.jinja',
      'processor_config.json',
      'onnx/decoder_model_merged_fp16.onnx',
      'onnx/decoder_model_merged_fp16.onnx_data',
      'README.md',
    ];
    const { files } = planDownload(lfm, q4, revision(listed));
    const paths = files.map((f) => f.path);
    assert.ok(paths.includes('onnx/decoder_model_merged_q4.onnx_data'));
    assert.ok(paths.includes('onnx/decoder_model_merged_q4.onnx_data_1'), 'multi-chunk external data');
    assert.ok(!paths.includes('onnx/decoder_model_merged_q4.onnx_database'), 'only <graph>_data and <graph>_data_N are chunks');
    assert.ok(paths.includes('chat_template.jinja'), 'a processor chat template the revision has');
    assert.ok(paths.includes('processor_config.json'), 'optional file present in the revision');
    assert.ok(!paths.includes('generation_config.json'), 'optional file absent from the revision');
    assert.ok(!paths.includes('onnx/decoder_model_merged_fp16.onnx'), 'other precisions are not fetched');
    assert.ok(!paths.includes('README.md'));
    assert.ok(files.every((f) => f.localPath === f.path), 'transformers.js names are stored as they are');
    assert.equal(files.find((f) => f.path === 'onnx/decoder_model_merged_q4.onnx')?.sha256, SHA(listed.indexOf('onnx/decoder_model_merged_q4.onnx')));
  });

  it('stores a graph spelled _q8 under the _quantized name transformers.js loads, its data under its own name', () => {
    const q8: Precision = { ...q4, id: 'q8-vision', graphs: { ...q4.graphs, vision_encoder: 'q8' } };
    const listed = [...lfm.sharedFiles, 'onnx/vision_encoder_q8.onnx', 'onnx/vision_encoder_q8.onnx_data', ...graphs.slice(1)];
    const { files, graphs: found } = planDownload(lfm, q8, revision(listed));
    const vision = files.find((f) => f.path === 'onnx/vision_encoder_q8.onnx');
    assert.equal(vision?.localPath, 'onnx/vision_encoder_quantized.onnx');
    assert.equal(files.find((f) => f.path === 'onnx/vision_encoder_q8.onnx_data')?.localPath, 'onnx/vision_encoder_q8.onnx_data', 'the graph refers to its data by this name');
    assert.deepEqual(found.map((g) => `${g.graph}:${g.dtype}:${g.file}`), [
      'vision_encoder:q8:onnx/vision_encoder_quantized.onnx',
      'embed_tokens:fp16:onnx/embed_tokens_fp16.onnx',
      'decoder_model_merged:q4:onnx/decoder_model_merged_q4.onnx',
    ]);
    const both = planDownload(lfm, q8, revision([...listed, 'onnx/vision_encoder_quantized.onnx']));
    assert.ok(!both.files.some((f) => f.path === 'onnx/vision_encoder_q8.onnx'), 'transformers.js spelling wins when both exist');
  });

  it("plans Liquid AI's embed_images / decoder layout under the sessions' names, the weights under their own", () => {
    const liquid = getManifest('lfm2.5-vl-1.6b');
    const listed = [
      ...liquid.sharedFiles,
      'chat_template.jinja',
      'onnx/embed_images_fp16.onnx',
      'onnx/embed_images_fp16.onnx_data',
      'onnx/embed_tokens_fp16.onnx',
      'onnx/embed_tokens_fp16.onnx_data',
      'onnx/decoder_q4.onnx',
      'onnx/decoder_q4.onnx_data',
      'onnx/decoder_q8.onnx',
    ];
    const { files } = planDownload(liquid, findPrecision(liquid), revision(listed));
    const stored = Object.fromEntries(files.map((f) => [f.path, f.localPath]));
    assert.equal(stored['onnx/embed_images_fp16.onnx'], 'onnx/vision_encoder_fp16.onnx');
    assert.equal(stored['onnx/decoder_q4.onnx'], 'onnx/decoder_model_merged_q4.onnx');
    assert.equal(stored['onnx/decoder_q4.onnx_data'], 'onnx/decoder_q4.onnx_data');
    assert.equal(stored['onnx/decoder_q8.onnx'], undefined);
    assert.ok(!('preprocessor_config.json' in stored), 'written from processor_config.json after the download when the revision has none');
    assert.deepEqual([...new Set(files.map((f) => f.role))], ['root', 'graph', 'data'], 'configuration, then graphs, then their weights');
  });

  it('refuses a layout Loupe cannot load, naming the ONNX files there and the precisions it could install', () => {
    const genai = ['genai_config.json', 'onnx/vision_encoder_fp16.onnx', 'onnx/embeddings_fp16.onnx', 'onnx/decoder_q4.onnx'];
    assert.throws(
      () => planDownload(lfm, q4, revision([...lfm.sharedFiles, ...genai])),
      (e: unknown) =>
        isModelError(e, 'MISSING_FILES') &&
        /org\/repo@main \(commit ffffffffffff\) has no q4 precision/.test(e.message) &&
        /onnxruntime-genai export/.test(e.message) &&
        /Nothing was downloaded\. No precision of this model is installable there/.test(e.message),
    );
    const onlySmall = [...lfm.sharedFiles, 'onnx/vision_encoder_q4.onnx', 'onnx/embed_tokens_fp16.onnx', 'onnx/decoder_model_merged_q4.onnx'];
    assert.throws(
      () => planDownload(lfm, q4, revision(onlySmall)),
      (e: unknown) =>
        isModelError(e, 'MISSING_FILES') &&
        /no vision_encoder graph that Loupe can load \(looked for onnx\/vision_encoder_fp16\.onnx or onnx\/embed_images_fp16\.onnx\)/.test(e.message) &&
        /Installable at this revision: q4-small\./.test(e.message),
    );
  });

  it('lists every missing shared file', () => {
    assert.throws(
      () => planDownload(lfm, q4, revision(['config.json', ...graphs])),
      (e: unknown) => isModelError(e, 'MISSING_FILES') && /tokenizer\.json, tokenizer_config\.json, preprocessor_config\.json/.test(e.message),
    );
  });

  it('lets a manifest pin win and refuses a hub that disagrees with it', () => {
    const listed = [...lfm.sharedFiles, ...graphs];
    const rev = revision(listed);
    const decoder = 'onnx/decoder_model_merged_q4.onnx';
    const listedDecoder = rev.files.get(decoder) as HubFile;
    const agreeing: ModelManifest = { ...lfm, pins: { [decoder]: { sha256: listedDecoder.sha256 as string, size: listedDecoder.size } } };
    assert.equal(planDownload(agreeing, q4, rev).files.find((f) => f.path === decoder)?.sha256, listedDecoder.sha256);
    const disagreeing: ModelManifest = { ...lfm, pins: { [decoder]: { sha256: SHA(999), size: listedDecoder.size } } };
    assert.throws(() => planDownload(disagreeing, q4, rev), (e: unknown) => isModelError(e, 'CHECKSUM_MISMATCH') && /manifest pins/.test(e.message));
  });

  it('refuses files the hub gives no checksum for', () => {
    const rev = revision([...lfm.sharedFiles, ...graphs]);
    (rev.files.get('config.json') as HubFile).gitOid = undefined;
    assert.throws(() => planDownload(lfm, q4, rev), /no size or checksum for config\.json/);
  });
});
