import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toolImage, ToolRefusal } from '../../../src/agentTools/toolImage';
import { imageFixture } from '../../support/paths';

async function refusal(promise: Promise<unknown>, says: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error) => error instanceof ToolRefusal && says.test(error.message));
}

describe('which image an agent tool call means', () => {
  let base: string;
  let root: string;
  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'loupe-tool-image-'));
    root = join(base, 'workspace');
    await mkdir(join(root, 'docs', 'img'), { recursive: true });
    await mkdir(join(base, 'secret'));
    await copyFile(imageFixture('chart.png'), join(root, 'docs', 'img', 'chart.png'));
    await copyFile(imageFixture('chart.png'), join(base, 'secret', 'secret.png'));
    await symlink(join(base, 'secret', 'secret.png'), join(root, 'linked.png'));
    await writeFile(join(root, 'notes.txt'), 'text');
    await writeFile(join(root, 'docs', 'guide.md'), '# Guide\n\nIntro.\n\n![](img/chart.png) and ![](../../secret/secret.png)\n\nNo image here.\n');
  });
  after(() => rm(base, { recursive: true, force: true }));

  it('takes a path relative to a root, or absolute inside one', async () => {
    assert.deepEqual((await toolImage({ image: 'docs/img/chart.png' }, [root])).input, { kind: 'path', path: join(root, 'docs', 'img', 'chart.png') });
    assert.equal((await toolImage({ image: join(root, 'docs', 'img', 'chart.png') }, [base + '/none', root])).name, 'docs/img/chart.png');
  });

  it('refuses what lies outside the roots, also through a link, and names the roots', async () => {
    await refusal(toolImage({ image: join(base, 'secret', 'secret.png') }, [root]), /is outside the folders open here .*workspace/);
    await refusal(toolImage({ image: '../secret/secret.png' }, [root]), /outside the folders open here/);
    await refusal(toolImage({ image: 'linked.png' }, [root]), /outside the folders open here/);
  });

  it('refuses a missing file, a folder, a file not named as an image, and no folder open', async () => {
    await refusal(toolImage({ image: 'docs/img/missing.png' }, [root]), /There is no image docs\/img\/missing\.png in /);
    await refusal(toolImage({ image: 'docs' }, [root]), /is not a file/);
    await refusal(toolImage({ image: 'notes.txt' }, [root]), /is not an image Loupe reads \(by its name\); give a PNG, JPEG/);
    await refusal(toolImage({ image: 'docs/img/chart.png' }, []), /No folder is open/);
  });

  it('follows a document image reference by line (and column), by the alt-text rules', async () => {
    const first = await toolImage({ document: 'docs/guide.md', line: 5 }, [root]);
    assert.deepEqual(first, { input: { kind: 'path', path: join(root, 'docs', 'img', 'chart.png') }, name: 'docs/img/chart.png' });
    await refusal(toolImage({ document: 'docs/guide.md', line: 5, character: 30 }, [root]), /line 5 of .*guide\.md: .*secret\.png is outside the workspace/);
    await refusal(toolImage({ document: 'docs/guide.md', line: 7 }, [root]), /Line 7 of .*guide\.md has no image reference/);
    await refusal(toolImage({ document: 'docs/guide.md' }, [root]), /document needs line/);
  });

  it('takes inline base64 data, refusing what is empty or over the size limit before decoding', async () => {
    const image = await toolImage({ imageData: Buffer.from('PNG bytes').toString('base64') }, []);
    assert.equal(image.input.kind, 'bytes');
    await refusal(toolImage({ imageData: 'A'.repeat(70_000_000) }, [root]), /more than the 50 MB Loupe reads/);
  });

  it('wants exactly one way to name the image', async () => {
    await refusal(toolImage({}, [root]), /Give exactly one of image/);
    await refusal(toolImage({ image: 'a.png', imageData: 'AAAA' }, [root]), /Give exactly one of image/);
  });
});
