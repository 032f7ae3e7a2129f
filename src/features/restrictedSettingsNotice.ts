/**
 * Says so when Restricted Mode ignores a workspace's or folder's model folder or hub setting, with
 * the action that makes it count (Trust Folder). Without this the model in use would change
 * silently between trusted and untrusted windows. The user's own value counts either way
 * (src/host/settings.ts).
 */
import * as vscode from 'vscode';
import { ignoredWorkspaceSettings, modelPathSetting } from '../host/settings';

const TRUST_COMMAND = 'workbench.trust.manage';

export function registerRestrictedSettingsNotice(context: vscode.ExtensionContext): void {
  let shown = '';
  const check = async () => {
    const ignored = await ignoredWorkspaceSettings();
    const key = JSON.stringify(ignored);
    // Once per window for the same ignored values; a changed value is worth saying again.
    if (ignored.length === 0 || key === shown) return;
    shown = key;
    const names = [...new Set(ignored.map((setting) => setting.key))].join(' and ');
    const userPath = modelPathSetting();
    const instead = ignored.some((setting) => setting.key === 'loupe.model.path')
      ? userPath
        ? ` Loupe uses the model folder from your user settings (${userPath}) meanwhile.`
        : ' Loupe uses its selected model meanwhile.'
      : '';
    void vscode.window
      .showWarningMessage(`Loupe: Restricted Mode ignores this workspace's ${names} setting until you trust the folder.${instead}`, 'Trust Folder')
      .then((answer) => answer && vscode.commands.executeCommand(TRUST_COMMAND));
  };
  const checkSafely = () => void check().catch(() => undefined);
  checkSafely();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('loupe.model.path') || event.affectsConfiguration('loupe.hub.endpoint')) checkSafely();
    }),
  );
}
