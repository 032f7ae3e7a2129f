import * as vscode from 'vscode';

/**
 * Where a document is brought into view: the group that already has a tab for it, else one
 * without the given webview (Loupe's panel or review), else beside: never over the webview the
 * user is working in, and never a new group when one already shows the document.
 */
export function columnFor(uri: vscode.Uri, webviewViewType: string): vscode.ViewColumn {
  const groups = vscode.window.tabGroups.all;
  const holding = groups.find((group) => group.tabs.some((tab) => tab.input instanceof vscode.TabInputText && tab.input.uri.toString() === uri.toString()));
  // VS Code prefixes a webview tab's view type ("mainThreadWebview-…").
  const withoutWebview = groups.find((group) => !group.tabs.some((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith(webviewViewType)));
  return (holding ?? withoutWebview)?.viewColumn ?? vscode.ViewColumn.Beside;
}
