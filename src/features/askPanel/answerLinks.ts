/**
 * Links in an answer were written by a model: Loupe opens only web and mail links, and only after
 * the user has seen where one goes and agreed.
 */
import * as vscode from 'vscode';

export async function openAnswerLink(href: string): Promise<void> {
  let uri: vscode.Uri;
  try {
    uri = vscode.Uri.parse(href, true);
  } catch {
    throw new Error(`"${href}" is not a link Loupe can open.`);
  }
  if (!['http', 'https', 'mailto'].includes(uri.scheme)) throw new Error(`Loupe opens only web and mail links from answers, not ${uri.scheme}: links.`);
  const choice = await vscode.window.showWarningMessage('Open a link from the model’s answer?', { modal: true, detail: uri.toString(true) }, 'Open');
  if (choice === 'Open') await vscode.env.openExternal(uri);
}
