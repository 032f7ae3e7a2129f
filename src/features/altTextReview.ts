/**
 * The alt text review, a webview (webview-ui/altReview/): the batch's list, and one quick fix's
 * proposal with its image. VS Code's Refactor Preview was the first choice for the batch, but an
 * extension cannot pre-tick its entries: every edit marked `needsConfirmation` starts unticked
 * (`checked.updateChecked(edit, !needsConfirmation)` in the workbench's bulkEditPreview), an
 * extension's `applyEdit` opens the preview only for such edits, and its rows cut long labels.
 * Here every proposal starts accepted, shows in full in an editable field, and Apply returns the
 * author's decisions. A quick fix's proposal used to open in an input box, which showed neither
 * the image nor the length limit.
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { ReviewToHostSchema, type HostToReview, type ReviewDecision, type ReviewItem } from '../protocol/altReview';
import { columnFor } from './editorColumn';

const VIEW_TYPE = 'loupe.altTextReview';

export interface ReviewEntry {
  item: Omit<ReviewItem, 'imageUri'>;
  /** The image file, for the thumbnail. */
  imagePath: string;
  /** Where "reveal" goes: the document and the image's 1-based line and column. */
  uri: vscode.Uri;
  line: number;
  column: number;
}

export interface ReviewContext {
  /** `batch`: the workspace list; `single`: one quick fix's proposal, opened beside the document. */
  mode: 'batch' | 'single';
  /** Images the batch could not describe. */
  skipped: number;
  maxLength: number;
  proposedBy: string;
  /** What else Apply does, said under the hint. */
  note?: string;
}

/**
 * Shows the proposals and resolves with the author's decisions on Apply (the review closes), or
 * undefined when they cancel or close it.
 */
export function reviewProposals(extensionUri: vscode.Uri, entries: ReviewEntry[], context: ReviewContext): Promise<ReviewDecision[] | undefined> {
  const imageFolders = [...new Set(entries.map((entry) => dirname(entry.imagePath)))].map((folder) => vscode.Uri.file(folder));
  const single = context.mode === 'single';
  const title = single ? `Alt Text for ${basename(entries[0]?.imagePath ?? '')}` : 'Review Alt Text';
  // One proposal opens beside its document, so the image's line stays in view.
  const panel = vscode.window.createWebviewPanel(VIEW_TYPE, title, single ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active, {
    enableScripts: true,
    enableCommandUris: false,
    // Only Loupe's own files and the folders of the images shown.
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), ...imageFolders],
    // The author's edits live in the page: keep them while the tab is in the background.
    retainContextWhenHidden: true,
  });
  panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
  const { webview } = panel;
  const nonce = randomBytes(16).toString('base64');
  webview.html = reviewHtml({
    csp: ["default-src 'none'", `img-src ${webview.cspSource}`, `style-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join('; '),
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'altReview.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'altReview.css')).toString(),
    nonce,
  });
  const message: HostToReview = {
    type: 'items',
    mode: context.mode,
    items: entries.map((entry) => ({ ...entry.item, imageUri: webview.asWebviewUri(vscode.Uri.file(entry.imagePath)).toString() })),
    skipped: context.skipped,
    maxLength: context.maxLength,
    proposedBy: context.proposedBy,
    note: context.note,
  };

  return new Promise((resolve) => {
    const subscriptions: vscode.Disposable[] = [];
    const finish = (decisions: ReviewDecision[] | undefined) => {
      for (const subscription of subscriptions.splice(0)) subscription.dispose();
      resolve(decisions);
      panel.dispose();
    };
    subscriptions.push(
      panel.onDidDispose(() => finish(undefined)),
      webview.onDidReceiveMessage((raw: unknown) => {
        const parsed = ReviewToHostSchema.safeParse(raw);
        if (!parsed.success) return;
        const received = parsed.data;
        switch (received.type) {
          case 'ready':
            void webview.postMessage(message);
            return;
          case 'cancel':
            return finish(undefined);
          case 'apply':
            return finish(received.decisions);
          case 'reveal': {
            const entry = entries.find((candidate) => candidate.item.id === received.id);
            if (entry) void revealLine(entry);
            return;
          }
        }
      }),
    );
  });
}

/** Opens the document beside the list (or where it already is) with the image's line selected. */
async function revealLine(entry: ReviewEntry): Promise<void> {
  const position = new vscode.Position(entry.line - 1, entry.column - 1);
  await vscode.window.showTextDocument(entry.uri, { viewColumn: columnFor(entry.uri, VIEW_TYPE), selection: new vscode.Range(position, position), preserveFocus: false });
}

function reviewHtml(page: { csp: string; scriptUri: string; styleUri: string; nonce: string }): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${page.csp}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${page.styleUri}">
  <title>Review Alt Text</title>
</head>
<body>
  <main id="app"><p>Loading the proposals…</p></main>
  <script nonce="${page.nonce}" src="${page.scriptUri}"></script>
</body>
</html>`;
}
