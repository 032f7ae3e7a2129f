// Runs test/electron/smoke.cjs inside a downloaded desktop VS Code (@vscode/test-electron).
// It needs network access to download VS Code, which CI here does not have: CI runs the
// code-server suite (test/e2e) instead. Use on a developer machine: npm run build && npm run test:electron
import { runTests } from '@vscode/test-electron';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const code = await runTests({
  extensionDevelopmentPath: root,
  extensionTestsPath: join(root, 'test', 'electron', 'smoke.cjs'),
  launchArgs: [join(root, 'test', 'fixtures', 'docs'), '--disable-extensions', '--user-data-dir', mkdtempSync(join(tmpdir(), 'loupe-electron-'))],
});
process.exit(code);
