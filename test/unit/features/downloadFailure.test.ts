import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { getManifest } from '../../../src/catalog/catalog';
import { downloadFailureNotice, WAY_OUT_TITLES } from '../../../src/features/downloadFailure';
import { ModelError } from '../../../src/modelFolder/modelErrors';
import { downloadModel } from '../../../src/store/download';
import { suiteScratchDir } from '../../support/scratchDir';

const MODEL = getManifest('smolvlm-256m');

/** What a real download against this endpoint fails with. */
async function downloadError(endpoint: string, storageDir: string, token?: string): Promise<unknown> {
  return downloadModel({ manifest: MODEL, storageDir, endpoint, token, noProxy: '', retries: 0 }).then(
    () => assert.fail('the download succeeded'),
    (error: unknown) => error,
  );
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('a failed download, told with the ways out', () => {
  const scratch = suiteScratchDir('loupe-download-failure-');

  it('offline: plain words, then Retry, Import Folder…, Add Server…, Proxy Settings and Details; the errno only in the log', async () => {
    const token = 'hf_secret_token_123456';
    const error = await downloadError('https://hub.invalid', scratch(), token);
    const notice = downloadFailureNotice(error, MODEL.label, [token]);
    assert.equal(
      notice.message,
      "Loupe: Could not find the model hub (hub.invalid): this machine seems to be offline or a proxy is needed, or the hub's address is wrong. " +
        'Without the hub, you can import a model folder copied from another machine, or answer from a model server.',
    );
    assert.deepEqual(notice.waysOut.map((way) => WAY_OUT_TITLES[way]), ['Retry', 'Import Folder…', 'Add Server…', 'Proxy Settings', 'Details']);
    assert.doesNotMatch(notice.message, /ENOTFOUND|EAI_AGAIN|getaddrinfo|[0-9a-f]{40}/, 'no errno and no commit hash in what the user reads first');
    assert.match(notice.logEntry, new RegExp(`^Download of ${MODEL.label} failed: Could not find the model hub`));
    assert.match(notice.logEntry, /\nRequest: GET https:\/\/hub\.invalid\/api\/models\/HuggingFaceTB\/SmolVLM-256M-Instruct\/revision\/[0-9a-f]{40}\?blobs=true\nError: .*(ENOTFOUND|EAI_AGAIN) hub\.invalid/);
    assert.ok(!`${notice.message}${notice.logEntry}`.includes(token), 'the token is in neither');
  });

  it('a refused connection on a hub given by address gets the same ways out', async () => {
    const port = await closedPort();
    const notice = downloadFailureNotice(await downloadError(`http://127.0.0.1:${port}`, scratch()), MODEL.label);
    assert.match(notice.message, new RegExp(`^Loupe: Could not reach the model hub \\(127\\.0\\.0\\.1:${port}\\): the connection was refused`));
    assert.deepEqual(notice.waysOut, ['retry', 'importFolder', 'addServer', 'proxySettings', 'details']);
    assert.match(notice.logEntry, /ECONNREFUSED/);
  });

  it('a gated model asks for the token first; other failures offer Retry, and Details only when there are details', () => {
    const gated = downloadFailureNotice(new ModelError('HUB_UNAUTHORIZED', 'huggingface.co refused access (HTTP 401).', { status: 401 }), MODEL.label);
    assert.deepEqual(gated.waysOut, ['setToken', 'retry']);
    const corrupt = downloadFailureNotice(new ModelError('CHECKSUM_MISMATCH', 'x failed verification.'), MODEL.label);
    assert.deepEqual(corrupt.waysOut, ['retry']);
    assert.equal(corrupt.message, 'Loupe: x failed verification.');
  });

  it('five buttons fit a notification: every title is short', () => {
    // A 450 px toast leaves about 300 px for the titles of five buttons once their padding and
    // margins are taken: 54 characters of 12 px DejaVu Sans, measured with code-server's stylesheet.
    const titles = (['retry', 'importFolder', 'addServer', 'proxySettings', 'details'] as const).map((way) => WAY_OUT_TITLES[way]);
    assert.ok(titles.join('').length <= 54, titles.join(' | '));
  });
});
