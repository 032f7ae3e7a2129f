/**
 * The store's promise to the engine: anything import or download accepts, the engine loads and
 * answers; anything it cannot load is refused before a byte is copied or fetched. Each layout is
 * the tiny fixture with its fp32 graphs under other names (onnxruntime loads a graph whatever its
 * file is called), run through the real import, the real download from a loopback hub, and the
 * real engine. And the engine loads exactly the precision installed.json selects.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EngineClient } from '../../src/client/engineClient';
import { downloadModel } from '../../src/store/download';
import { isModelError } from '../../src/modelFolder/modelErrors';
import { importModelFolder } from '../../src/store/importFolder';
import { readInstalledMarker, writeInstalledMarker } from '../../src/modelFolder/installedMarker';
import { GRAPH_NAMES, type DtypeMap, type GraphName } from '../../src/modelFolder/modelLayout';
import { listInstalled, selectPrecision } from '../../src/store/store';
import { resolveOptions } from '../../src/protocol/options';
import { fp32Manifest, repoFromFolder, startLoopbackHub } from '../support/loopbackHub';
import { enginePath, imageFixture, tinyModelDir } from '../support/paths';
import { suiteScratchDir } from '../support/scratchDir';

const COMMIT = 'c0ffee0000000000000000000000000000000000';
const SHARED = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];

interface Layout {
  name: string;
  /** The file (under onnx/) each graph is given, and the dtype a manifest asks for it in. */
  graphs: Record<GraphName, [file: string, dtype: DtypeMap[GraphName]]>;
  /** Turns the tiny fixture's copy into this layout after the graphs are renamed. */
  edit?(dir: string): Promise<void>;
}

const fp32 = (graph: GraphName): [string, 'fp32'] => [`${graph}.onnx`, 'fp32'];

const ACCEPTED: Layout[] = [
  { name: 'transformers.js names, fp32', graphs: { vision_encoder: fp32('vision_encoder'), embed_tokens: fp32('embed_tokens'), decoder_model_merged: fp32('decoder_model_merged') } },
  {
    name: 'fp16 vision and embeddings, q4 decoder',
    graphs: { vision_encoder: ['vision_encoder_fp16.onnx', 'fp16'], embed_tokens: ['embed_tokens_fp16.onnx', 'fp16'], decoder_model_merged: ['decoder_model_merged_q4.onnx', 'q4'] },
  },
  {
    name: "8-bit spelled _q8 (Liquid AI's repositories)",
    graphs: { vision_encoder: ['vision_encoder_q8.onnx', 'q8'], embed_tokens: ['embed_tokens_q8.onnx', 'q8'], decoder_model_merged: ['decoder_model_merged_q4.onnx', 'q4'] },
  },
  {
    name: 'bnb4, int8 and q4f16 names',
    graphs: { vision_encoder: ['vision_encoder_int8.onnx', 'int8'], embed_tokens: ['embed_tokens_q4f16.onnx', 'q4f16'], decoder_model_merged: ['decoder_model_merged_bnb4.onnx', 'bnb4'] },
  },
  {
    name: "Liquid AI's embed_images / decoder names (LiquidAI/LFM2.5-VL-1.6B-ONNX)",
    graphs: { vision_encoder: ['embed_images_fp16.onnx', 'fp16'], embed_tokens: ['embed_tokens_fp16.onnx', 'fp16'], decoder_model_merged: ['decoder_q4.onnx', 'q4'] },
  },
  {
    name: 'chat template only in chat_template.jinja',
    graphs: { vision_encoder: fp32('vision_encoder'), embed_tokens: fp32('embed_tokens'), decoder_model_merged: fp32('decoder_model_merged') },
    edit: moveChatTemplateToJinja,
  },
];

const REFUSED: Array<Layout & { reason: RegExp }> = [
  {
    name: 'an onnxruntime-genai export: embeddings instead of embed_tokens',
    graphs: { vision_encoder: ['vision_encoder_fp16.onnx', 'fp16'], embed_tokens: ['embeddings_fp16.onnx', 'fp16'], decoder_model_merged: ['decoder_q4.onnx', 'q4'] },
    reason: /no embed_tokens graph that Loupe can load .*ONNX files present: onnx\/decoder_q4\.onnx, onnx\/embeddings_fp16\.onnx, onnx\/vision_encoder_fp16\.onnx/,
  },
  {
    name: 'a dtype the engine does not load (_q2)',
    graphs: { vision_encoder: fp32('vision_encoder'), embed_tokens: fp32('embed_tokens'), decoder_model_merged: ['decoder_model_merged_q2.onnx', 'q4'] },
    reason: /no decoder_model_merged graph that Loupe can load/,
  },
  {
    name: 'a model type transformers.js has no image-text-to-text model for',
    graphs: { vision_encoder: fp32('vision_encoder'), embed_tokens: fp32('embed_tokens'), decoder_model_merged: fp32('decoder_model_merged') },
    edit: (dir) => editJson(join(dir, 'config.json'), (config) => ({ ...config, model_type: 'qwen2_vl' })),
    reason: /model_type "qwen2_vl" is not a supported architecture/,
  },
];

async function editJson(path: string, edit: (json: Record<string, unknown>) => Record<string, unknown>): Promise<void> {
  await writeFile(path, JSON.stringify(edit(JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>)));
}

async function moveChatTemplateToJinja(dir: string): Promise<void> {
  let template = '';
  await editJson(join(dir, 'tokenizer_config.json'), ({ chat_template, ...rest }) => {
    template = chat_template as string;
    return rest;
  });
  await writeFile(join(dir, 'chat_template.jinja'), template);
}

async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
}

describe('model contract: what import and download accept, the engine runs', () => {
  const scratch = suiteScratchDir('loupe-contract-');
  const engine = new EngineClient({ enginePath, isolation: 'thread' });
  after(() => engine.dispose());

  let count = 0;
  async function build(layout: Layout): Promise<string> {
    const dir = join(scratch(), `layout-${++count}`, 'model');
    await cp(tinyModelDir, dir, { recursive: true });
    for (const graph of GRAPH_NAMES) await rename(join(dir, 'onnx', `${graph}.onnx`), join(dir, 'onnx', `${graph}.tmp`));
    for (const graph of GRAPH_NAMES) await rename(join(dir, 'onnx', `${graph}.tmp`), join(dir, 'onnx', layout.graphs[graph][0]));
    await layout.edit?.(dir);
    return dir;
  }

  function manifestFor(layout: Layout, repo: string) {
    const dtype = Object.fromEntries(GRAPH_NAMES.map((graph) => [graph, layout.graphs[graph][1]]));
    return fp32Manifest({
      id: 'contract',
      repo,
      sharedFiles: SHARED,
      overrides: { defaultPrecision: 'p', precisions: [{ id: 'p', label: 'p', description: 'the layout', graphs: dtype, approxDownloadBytes: 4_000_000 }] },
    });
  }

  async function answers(modelDir: string): Promise<void> {
    const { text, stats } = await engine.generate({
      modelDir,
      task: 'question',
      question: 'What is this?',
      image: { kind: 'path', path: imageFixture('screenshot-256x384.png') },
      options: resolveOptions('fast', { maxNewTokens: 4 }),
    }).result;
    assert.equal(stats.imageTokens, 96);
    assert.ok(stats.generatedTokens > 0);
    assert.equal(typeof text, 'string');
  }

  for (const layout of ACCEPTED) {
    it(`accepts and runs: ${layout.name}`, async () => {
      const source = await build(layout);
      const imported = await importModelFolder({ source, storageDir: join(source, '..', 'imported'), modelId: 'contract' });
      await answers(imported.dir);

      const hub = await startLoopbackHub({ repos: [await repoFromFolder(source, 'test-org/contract', COMMIT, { branches: ['main'] })] });
      try {
        const downloaded = await downloadModel({ manifest: manifestFor(layout, 'test-org/contract'), storageDir: join(source, '..', 'downloaded'), endpoint: hub.endpoint, allowedHosts: hub.allowedHosts });
        await answers(downloaded.dir);
        for (const outcome of [imported, downloaded]) {
          const stored = await files(join(outcome.dir, 'onnx'));
          assert.ok(!stored.some((name) => /_q8\.onnx$|^embed_images.*\.onnx$|^decoder_q4\.onnx$/.test(name)), `graphs are stored under transformers.js's names: ${stored.join(', ')}`);
          const config = JSON.parse(await readFile(join(outcome.dir, 'tokenizer_config.json'), 'utf8')) as { chat_template?: string };
          assert.ok(config.chat_template, 'the chat template is where transformers.js reads it');
        }
      } finally {
        await hub.close();
      }
    });
  }

  for (const layout of REFUSED) {
    it(`refuses before copying or fetching anything: ${layout.name}`, async () => {
      const source = await build(layout);
      const importStore = join(source, '..', 'imported');
      const importError = await importModelFolder({ source, storageDir: importStore, modelId: 'contract' }).then(
        () => assert.fail('expected INVALID_MODEL'),
        (e: unknown) => e,
      );
      assert.ok(isModelError(importError, 'INVALID_MODEL'), String(importError));
      assert.match(importError.message, layout.reason);
      assert.deepEqual(await listInstalled(importStore), []);
      assert.deepEqual(await readdir(importStore).catch(() => []), [], 'nothing was copied');

      if (layout.edit) return; // A model type is only known once config.json is fetched; the graph layout is known from the listing.
      const hub = await startLoopbackHub({ repos: [await repoFromFolder(source, 'test-org/contract', COMMIT, { branches: ['main'] })] });
      try {
        const downloadStore = join(source, '..', 'downloaded');
        const error = await downloadModel({ manifest: manifestFor(layout, 'test-org/contract'), storageDir: downloadStore, endpoint: hub.endpoint, allowedHosts: hub.allowedHosts }).then(
          () => assert.fail('expected MISSING_FILES'),
          (e: unknown) => e,
        );
        assert.ok(isModelError(error, 'MISSING_FILES'), String(error));
        assert.match(error.message, layout.reason);
        assert.equal(hub.requests.filter((r) => r.url.includes('/resolve/')).length, 0, 'no file was requested');
        assert.equal(hub.requests.reduce((sum, r) => sum + r.bytes, 0), 0, 'no file byte was served');
      } finally {
        await hub.close();
      }
    });
  }

  describe('precision', () => {
    let store: string;
    let modelDir: string;
    const q4 = { vision_encoder: 'fp16', embed_tokens: 'fp16', decoder_model_merged: 'q4' } as const;
    const fp16 = { vision_encoder: 'fp16', embed_tokens: 'fp16', decoder_model_merged: 'fp16' } as const;

    before(async () => {
      // q4 and fp16 both installed, fp16 selected. The q4 "decoder" is a real graph but not a
      // decoder, so a model loaded from it cannot answer: which file the engine took shows.
      store = join(scratch(), 'precision-store');
      modelDir = join(store, 'lfm2-vl-tiny', COMMIT);
      await mkdir(join(modelDir, 'onnx'), { recursive: true });
      for (const file of await readdir(tinyModelDir)) if (file !== 'onnx') await cp(join(tinyModelDir, file), join(modelDir, file));
      const graph = (name: string) => join(tinyModelDir, 'onnx', name);
      // The renamed copies still refer to the fixture's weights by their own names.
      for (const data of ['vision_encoder.onnx_data', 'decoder_model_merged.onnx_data']) await cp(graph(data), join(modelDir, 'onnx', data));
      await cp(graph('vision_encoder.onnx'), join(modelDir, 'onnx/vision_encoder_fp16.onnx'));
      await cp(graph('embed_tokens.onnx'), join(modelDir, 'onnx/embed_tokens_fp16.onnx'));
      await cp(graph('decoder_model_merged.onnx'), join(modelDir, 'onnx/decoder_model_merged_fp16.onnx'));
      await cp(graph('embed_tokens.onnx'), join(modelDir, 'onnx/decoder_model_merged_q4.onnx'));
      await writeInstalledMarker(modelDir, {
        schemaVersion: 1,
        modelId: 'lfm2-vl-tiny',
        label: 'tiny',
        architecture: 'lfm2-vl',
        source: 'hub',
        revision: COMMIT,
        precision: 'fp16',
        dtype: fp16,
        precisions: [
          { id: 'q4', dtype: q4 },
          { id: 'fp16', dtype: fp16 },
        ],
        license: { name: 'Test', url: '', requiresAcceptance: false },
        files: [],
        installedAt: new Date().toISOString(),
      });
    });

    it('loads exactly the precision installed.json selects, not the smallest present', async () => {
      await answers(modelDir);
    });

    it('follows the selection when the user picks another installed precision', async () => {
      await selectPrecision(store, 'lfm2-vl-tiny', 'q4');
      assert.equal((await readInstalledMarker(modelDir))?.precision, 'q4');
      engine.unload();
      await assert.rejects(answers(modelDir), 'the q4 files are loaded now, and they hold no decoder');
      await selectPrecision(store, 'lfm2-vl-tiny', 'fp16');
      engine.unload();
      await answers(modelDir);
    });

    after(() => rm(store, { recursive: true, force: true }));
  });
});
