import assert from 'node:assert/strict';
import { mkdir, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lockPath } from '../../../src/store/downloadLock';
import { isModelError } from '../../../src/modelFolder/modelErrors';
import { readInstalledMarker, writeInstalledMarker, type InstalledMarker } from '../../../src/modelFolder/installedMarker';
import { deleteModel, findInstalled, listInstalled, modelInfo, partialDownloadBytes, resolveInstalledModelDir, selectPrecision } from '../../../src/store/store';
import { suiteScratchDir } from '../../support/scratchDir';

function marker(modelId: string, revision: string, files: Array<{ path: string; size: number }>, installedAt = '2026-01-01T00:00:00.000Z'): Omit<InstalledMarker, 'precisions'> {
  return {
    schemaVersion: 1,
    modelId,
    label: modelId,
    architecture: 'lfm2-vl',
    source: 'hub',
    revision,
    precision: 'q4',
    dtype: { vision_encoder: 'fp16', embed_tokens: 'fp16', decoder_model_merged: 'q4' },
    license: { name: 'Test', url: 'https://example.com', requiresAcceptance: false },
    files: files.map((f) => ({ ...f, sha256: '0'.repeat(64) })),
    installedAt,
  };
}

async function install(storage: string, modelId: string, revision: string, files: Record<string, number>, installedAt?: string): Promise<string> {
  const dir = join(storage, modelId, revision);
  for (const [path, size] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), Buffer.alloc(size));
  }
  await writeInstalledMarker(dir, marker(modelId, revision, Object.entries(files).map(([path, size]) => ({ path, size })), installedAt));
  return dir;
}

describe('model store', () => {
  const storage = suiteScratchDir('loupe-store-');

  it('lists only finished, intact installs and resolves the newest revision', async () => {
    await install(storage(), 'alpha', 'r1', { 'config.json': 10, 'onnx/a.onnx': 100 }, '2026-01-01T00:00:00.000Z');
    const newer = await install(storage(), 'alpha', 'r2', { 'config.json': 10 }, '2026-02-01T00:00:00.000Z');
    const broken = await install(storage(), 'beta', 'r1', { 'onnx/b.onnx': 50 });
    await truncate(join(broken, 'onnx/b.onnx'), 10);
    await mkdir(join(storage(), 'gamma', 'r1', 'onnx'), { recursive: true });
    await writeFile(join(storage(), 'gamma', 'r1', 'onnx', 'g.onnx.part'), Buffer.alloc(300));

    const listed = await listInstalled(storage());
    assert.deepEqual(listed.map((m) => `${m.modelId}@${m.revision}`), ['alpha@r2', 'alpha@r1']);
    assert.equal(await resolveInstalledModelDir(storage(), 'alpha'), newer);
    assert.equal(await resolveInstalledModelDir(storage(), 'beta'), undefined, 'a file of the wrong size means not installed');
    assert.equal(await resolveInstalledModelDir(storage(), 'gamma'), undefined, 'no marker, not installed');
    assert.equal(await partialDownloadBytes(storage(), 'gamma'), 300);
    const info = await modelInfo(storage(), 'alpha');
    assert.equal(info?.sizeOnDisk, 10 + (await stat(join(newer, 'installed.json'))).size, 'files plus the marker');
  });

  it('deletes a model, refuses while a download holds it, and says when there is nothing to delete', async () => {
    await install(storage(), 'delta', 'r1', { 'config.json': 1000 });
    await writeFile(lockPath(join(storage(), 'delta')), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }));
    await assert.rejects(deleteModel(storage(), 'delta'), (e: unknown) => isModelError(e, 'LOCKED') && /cancel that download/.test(e.message));
    await rm(lockPath(join(storage(), 'delta')));
    const { removedBytes } = await deleteModel(storage(), 'delta');
    assert.ok(removedBytes >= 1000);
    assert.equal(await resolveInstalledModelDir(storage(), 'delta'), undefined);
    await assert.rejects(deleteModel(storage(), 'delta'), (e: unknown) => isModelError(e, 'NOT_INSTALLED'));
  });

  it('deletes one revision and keeps the others', async () => {
    await install(storage(), 'eps', 'r1', { 'config.json': 5 });
    const kept = await install(storage(), 'eps', 'r2', { 'config.json': 5 }, '2026-03-01T00:00:00.000Z');
    await deleteModel(storage(), 'eps', 'r2');
    assert.notEqual(await resolveInstalledModelDir(storage(), 'eps'), kept);
    assert.equal(await resolveInstalledModelDir(storage(), 'eps'), join(storage(), 'eps', 'r1'));
  });

  it('selects another installed precision, and only an installed one', async () => {
    const dir = await install(storage(), 'zeta', 'r1', { 'config.json': 5 });
    const q4 = { vision_encoder: 'fp16', embed_tokens: 'fp16', decoder_model_merged: 'q4' } as const;
    const fp16 = { vision_encoder: 'fp16', embed_tokens: 'fp16', decoder_model_merged: 'fp16' } as const;
    await writeInstalledMarker(dir, { ...marker('zeta', 'r1', [{ path: 'config.json', size: 5 }]), precisions: [{ id: 'q4', dtype: q4 }, { id: 'fp16', dtype: fp16 }] });
    const selected = await selectPrecision(storage(), 'zeta', 'fp16');
    assert.equal(selected.marker.precision, 'fp16');
    const onDisk = await readInstalledMarker(dir);
    assert.deepEqual([onDisk?.precision, onDisk?.dtype], ['fp16', fp16]);
    assert.deepEqual(onDisk?.precisions.map((p) => p.id), ['q4', 'fp16'], 'the other precision stays installed');
    await assert.rejects(selectPrecision(storage(), 'zeta', 'q4-small'), (e: unknown) => isModelError(e, 'NOT_INSTALLED') && /no q4-small precision installed \(installed: q4, fp16\)/.test(e.message));
    await assert.rejects(selectPrecision(storage(), 'nothing', 'q4'), (e: unknown) => isModelError(e, 'NOT_INSTALLED'));
  });

  it('reads a marker written before precisions were listed as having its one precision', async () => {
    await install(storage(), 'eta', 'r1', { 'config.json': 5 });
    assert.deepEqual((await findInstalled(storage(), 'eta'))?.marker.precisions, [{ id: 'q4', dtype: { vision_encoder: 'fp16', embed_tokens: 'fp16', decoder_model_merged: 'q4' } }]);
  });

  it('never deletes outside the store, whatever the id or revision says', async () => {
    // storage()/store holds the models; storage()/precious sits next to it.
    const store = join(storage(), 'store');
    await install(store, 'theta', 'r1', { 'config.json': 5 });
    await mkdir(join(storage(), 'precious'), { recursive: true });
    await writeFile(join(storage(), 'precious', 'keep.txt'), 'keep');
    const attempts: Array<[string, string | undefined]> = [['..', undefined], ['../precious', undefined], ['theta', '../../precious'], ['theta', '..'], ['theta/r1', undefined], ['.', undefined]];
    for (const [id, revision] of attempts) {
      await assert.rejects(deleteModel(store, id, revision), (e: unknown) => isModelError(e, 'NOT_INSTALLED'), `${id} ${revision ?? ''}`);
    }
    assert.deepEqual(await readdir(join(storage(), 'precious')), ['keep.txt']);
    assert.ok(await resolveInstalledModelDir(store, 'theta'), 'the store itself is untouched');
    await deleteModel(store, 'theta', 'r1');
    assert.equal(await resolveInstalledModelDir(store, 'theta'), undefined);
  });
});
