// Extension-host smoke test for desktop VS Code: activation registers every contributed command,
// and an alt text diagnostic appears for a fixture document. Plain assertions, no test framework.
const assert = require('node:assert/strict');
const path = require('node:path');
const vscode = require('vscode');

exports.run = async function run() {
  const manifest = require(path.join(__dirname, '..', '..', 'package.json'));
  const doc = await vscode.workspace.openTextDocument(path.join(__dirname, '..', 'fixtures', 'docs', 'README.md'));
  await vscode.window.showTextDocument(doc);
  const extension = vscode.extensions.getExtension(`${manifest.publisher}.${manifest.name}`);
  await extension.activate();
  const commands = await vscode.commands.getCommands(true);
  for (const { command } of manifest.contributes.commands) assert.ok(commands.includes(command), `${command} is registered`);
  for (let i = 0; i < 50 && vscode.languages.getDiagnostics(doc.uri).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  const diagnostics = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'loupe');
  assert.ok(diagnostics.length > 0, 'alt text diagnostics appear');
  console.log(`1 passed, 0 failed: ${manifest.contributes.commands.length} commands, ${diagnostics.length} diagnostics`);
};
