import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { minimatch } from 'minimatch';
import { runCheck } from '../../../src/altText/cliCheck';
import { expandDocumentPatterns } from '../../../src/altText/documentFiles';
import { scanTargetFor } from '../../../src/altText/scanDocument';
import { DEFAULT_ALT_MAX_LENGTH } from '../../../src/protocol/altTextDefaults';
import { ALT_TEXT_DOCUMENT_GLOB, ALT_TEXT_LANGUAGE_IDS, checkedLanguageId, DOCUMENT_KINDS } from '../../../src/protocol/documentKinds';
import { repoRoot } from '../../support/paths';

/** An image without alt text, written the way each kind writes it. */
const IMAGE_BY_KIND = {
  markdown: '![](a.png)\n',
  mdx: '![](a.png)\n',
  html: '<img src="a.png">\n',
  jsx: 'export const A = () => <img src="a.png" />;\n',
} as const;

// The CLI's file walk, the editor's checked language and the workspace batch's glob each once
// had their own list; these tests hold all three to the table.
describe('alt-text document kinds: one table for the CLI, the editor and the batch', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loupe-kinds-'));
    for (const entry of DOCUMENT_KINDS) {
      for (const extension of entry.extensions) await writeFile(join(dir, `page${extension}`), IMAGE_BY_KIND[entry.kind]);
    }
    await writeFile(join(dir, 'cast.ts'), 'export const a = <img src="a.png" />;\n');
    await writeFile(join(dir, 'script.js'), 'export const a = <img src="a.png" />;\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const entry of DOCUMENT_KINDS) {
    for (const extension of entry.extensions) {
      const file = `page${extension}`;
      it(`${file}: walked by the CLI, checked by the editor, found by the batch, scanned as ${entry.kind}`, async () => {
        assert.ok((await expandDocumentPatterns(['.'], dir)).map((path) => basename(path)).includes(file));
        for (const languageId of entry.languageIds) assert.equal(checkedLanguageId(languageId, file), languageId);
        // VS Code opens a file as plain text when no extension knows its language (MDX).
        assert.equal(checkedLanguageId('plaintext', file), entry.languageIds[0]);
        assert.ok(minimatch(`docs/${file}`, ALT_TEXT_DOCUMENT_GLOB));
        assert.deepEqual(scanTargetFor(file), scanTargetFor(file, entry.languageIds[0]));
        assert.equal(scanTargetFor(file)?.kind, entry.kind);
        assert.equal(scanTargetFor(file)?.jsxFlavour, entry.jsxFlavour);
      });
    }
  }

  it('plain .ts/.js files are no alt-text documents anywhere: `loupe alt-text check` does not flag them', async () => {
    for (const [languageId, file] of [['typescript', 'cast.ts'], ['javascript', 'script.js']]) {
      assert.equal(checkedLanguageId(languageId, file), undefined);
      assert.equal(scanTargetFor(file), undefined);
      assert.equal(minimatch(`src/${file}`, ALT_TEXT_DOCUMENT_GLOB), false);
    }
    const report = await runCheck(['.'], dir);
    assert.ok(!report.files.some((file) => /\.(ts|js)$/.test(file)));
    assert.ok(!report.lines.some((line) => /^(cast\.ts|script\.js):/.test(line)));
    await assert.rejects(runCheck(['cast.ts'], dir), /cast\.ts: Loupe cannot check alt text in this file type/);
  });
});

describe('the manifest agrees with the alt-text tables', () => {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    contributes: { menus: Record<string, { command: string; when?: string }[]>; configuration: { properties: Record<string, { default?: unknown }> } };
  };

  it('editor menus offer alt-text commands for exactly the table\'s languages', () => {
    const clauses = Object.values(manifest.contributes.menus)
      .flat()
      .map((item) => item.when ?? '')
      .filter((when) => when.includes('editorLangId'));
    assert.ok(clauses.length > 0);
    for (const when of clauses) {
      const languages = /editorLangId =~ \/\^\(([^)]+)\)\$\//.exec(when)?.[1]?.split('|');
      assert.deepEqual([...(languages ?? [])].sort(), [...ALT_TEXT_LANGUAGE_IDS].sort(), when);
    }
  });

  it('the maxLength setting defaults to the one default', () => {
    assert.equal(manifest.contributes.configuration.properties['loupe.altText.maxLength']?.default, DEFAULT_ALT_MAX_LENGTH);
  });
});
