import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AltTextGenerator, AltTextRequest } from '../../../src/altText/altProposals';
import { repoRoot } from '../../support/paths';

export const docsFixture = join(repoRoot, 'test', 'fixtures', 'docs');

/**
 * A writable copy of test/fixtures/docs plus the files git cannot hold for us: a draft that the
 * tree's .gitignore excludes and a node_modules package, both with images lacking alt text.
 */
export async function copyDocsTree(): Promise<{ root: string; dispose(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'loupe-docs-'));
  await cp(docsFixture, root, { recursive: true });
  await mkdir(join(root, 'drafts'), { recursive: true });
  await writeFile(join(root, 'drafts', 'wip.md'), '# Draft\n\n![](../images/logo.png)\n');
  await mkdir(join(root, 'node_modules', 'some-package'), { recursive: true });
  await writeFile(join(root, 'node_modules', 'some-package', 'README.md'), '![](logo.png)\n<img src="x.png">\n');
  return { root, dispose: () => rm(root, { recursive: true, force: true }) };
}

/** A generator for tests: `answer` stands in for the model, under a fixed model identity. */
export function testGenerator(answer: (request: AltTextRequest) => Promise<string>): AltTextGenerator {
  return { model: async () => ({ model: 'test-model', precision: 'q4' }), generate: answer };
}
