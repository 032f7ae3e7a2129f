import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runModelsCli } from '../../support/modelsCli';
import { suiteScratchDir } from '../../support/scratchDir';

const run = runModelsCli;

describe('loupe models (no network)', () => {
  const home = suiteScratchDir('loupe-cli-');

  it('explains the choice when nothing is installed, in $LOUPE_HOME/models', async () => {
    const { out, code } = await run(['models', 'list'], { LOUPE_HOME: home() });
    assert.equal(code, 0);
    assert.match(out, /No model is installed yet/);
    assert.ok(out.includes(`Models are stored in ${join(home(), 'models')}.`));
    const json = JSON.parse((await run(['models', 'list', '--json'], { LOUPE_HOME: home() })).out) as { models: Array<{ id: string; installed?: unknown }> };
    assert.equal(json.models.length, 5);
    assert.ok(json.models.every((m) => m.installed === undefined));
  });

  it('refuses an LFM download without --accept-license, explaining the license, exit 2', async () => {
    const { err, code } = await run(['models', 'download', 'lfm2.5-vl-450m', '--endpoint', 'http://127.0.0.1:9'], { LOUPE_HOME: home() });
    assert.equal(code, 2);
    assert.match(err, /LFM2\.5-VL 450M is licensed under the LFM Open License v1\.0, which you need to accept first/);
    assert.match(err, /Read it: https:\/\/huggingface\.co\/LiquidAI\/LFM2\.5-VL-450M\/blob\/main\/LICENSE/);
    assert.match(err, /loupe models download lfm2\.5-vl-450m --accept-license/);
  });

  it('answers unknown models and empty removals with exit 2', async () => {
    const unknown = await run(['models', 'download', 'gpt-9'], { LOUPE_HOME: home() });
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /Unknown model "gpt-9"\. Known models: lfm2\.5-vl-450m/);
    const removal = await run(['models', 'remove', 'smolvlm-256m'], { LOUPE_HOME: home() });
    assert.equal(removal.code, 2);
    assert.match(removal.err, /smolvlm-256m is not in .*; nothing to delete/);
  });

  it('reports an unreachable hub as a failure (exit 1) with the host named, the error code on the lines below', async () => {
    const { err, code } = await run(['models', 'download', 'smolvlm-256m', '--endpoint', 'http://127.0.0.1:9'], { LOUPE_HOME: home() });
    assert.equal(code, 1);
    // What comes after the progress lines.
    const [message, ...details] = err.slice(err.indexOf('loupe: ')).trimEnd().split('\n');
    assert.equal(message, 'loupe: Could not reach the model hub (127.0.0.1:9): the connection was refused. This machine may be offline, or a proxy or firewall is in the way.');
    assert.match(details.join('\n'), /^ {2}Request: GET http:\/\/127\.0\.0\.1:9\/api\/models\/HuggingFaceTB\/SmolVLM-256M-Instruct\/revision\/[0-9a-f]{40}\?blobs=true\n {2}Error: connect ECONNREFUSED 127\.0\.0\.1:9\n {2}Proxy: none$/);
  });

  it('removes nothing outside the model store: "..", paths and revisions that climb out are unknown models (exit 2)', async () => {
    // $LOUPE_HOME/models is the store; $LOUPE_HOME/notes and the store's parent must survive.
    const env = { LOUPE_HOME: join(home(), 'traversal') };
    const store = join(home(), 'traversal', 'models');
    await mkdir(join(store, 'smolvlm-256m', 'r1'), { recursive: true });
    await mkdir(join(home(), 'traversal', 'notes'), { recursive: true });
    await writeFile(join(home(), 'traversal', 'notes', 'todo.txt'), 'keep me');
    const attempts = [['..'], ['../notes'], ['smolvlm-256m', '--revision', '../../notes'], ['smolvlm-256m', '--revision', '..']];
    for (const args of attempts) {
      const { err, code } = await run(['models', 'remove', ...args], env);
      assert.equal(code, 2, `${args.join(' ')}: ${err}`);
      assert.match(err, /is not in .*; nothing to delete/);
    }
    assert.deepEqual(await readdir(join(home(), 'traversal', 'notes')), ['todo.txt']);
    assert.deepEqual(await readdir(store), ['smolvlm-256m']);
  });
});
