/**
 * The house plan is enforced, not just drawn: ESLint (eslint.config.mjs) fails an import that
 * crosses a layer the wrong way, and docs/architecture.md draws exactly the arrows it allows.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';
import { repoRoot } from '../../support/paths';

const RULE = '@typescript-eslint/no-restricted-imports';

async function problems(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, filePath) });
  return result!.messages.filter((message) => message.ruleId === RULE).map((message) => message.message);
}

describe('layers', () => {
  it('fail an import that crosses a layer the wrong way, and let the allowed ones through', async () => {
    assert.match((await problems('src/features/scratch.ts', "import { decodeImage } from '../imaging/images';\nvoid decodeImage;\n"))[0] ?? '', /src\/features may not import src\/imaging/);
    assert.match((await problems('src/cli/scratch.ts', "import { EngineService } from '../engine/engineService';\nvoid EngineService;\n"))[0] ?? '', /src\/cli may not import src\/engine/);
    assert.match((await problems('src/modelFolder/scratch.ts', "import { downloadModel } from '../store/download';\nvoid downloadModel;\n"))[0] ?? '', /src\/modelFolder may not import src\/store/);
    assert.match((await problems('webview-ui/scratch.ts', "import { Settings } from '../src/host/settings';\nvoid Settings;\n"))[0] ?? '', /may import src\/protocol only/);
    assert.deepEqual(await problems('src/engine/scratch.ts', "import { verifyImage } from '../imaging/images';\nvoid verifyImage;\n"), []);
    assert.deepEqual(await problems('webview-ui/scratch.ts', "import { TASKS } from '../src/protocol/tasks';\nvoid TASKS;\n"), []);
  });

  it('no part of src/ may import the engine, which runs as a program of its own', async () => {
    const { LAYERS } = (await import(pathToFileURL(join(repoRoot, 'eslint.config.mjs')).href)) as { LAYERS: Record<string, string[]> };
    for (const [layer, allowed] of Object.entries(LAYERS)) assert.ok(!allowed.includes('engine'), layer);
  });

  it('docs/architecture.md draws the arrows eslint.config.mjs allows', async () => {
    const { LAYERS } = (await import(pathToFileURL(join(repoRoot, 'eslint.config.mjs')).href)) as { LAYERS: Record<string, string[]> };
    const doc = readFileSync(join(repoRoot, 'docs', 'architecture.md'), 'utf8');
    const drawn = Object.fromEntries(
      [...doc.matchAll(/^\| `(\w+)` \| ([^|]*) \|/gm)].map(([, layer, arrows]) => [layer!, [...arrows!.matchAll(/`(\w+)`/g)].map((m) => m[1]!).sort()]),
    );
    assert.deepEqual(drawn, Object.fromEntries(Object.entries(LAYERS).map(([layer, allowed]) => [layer, [...allowed].sort()])));
  });
});
