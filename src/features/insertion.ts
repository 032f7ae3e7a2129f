/**
 * Puts an answer where the user wants it: at the cursor, over the selection, on the clipboard,
 * as a comment, as a Markdown table, or into the alt text of the image it describes. The target is
 * the text editor that was active before the Ask panel took focus.
 */
import * as vscode from 'vscode';
import { escapeMarkdownProse } from '../altText/altEscaping';
import type { InsertAction, InsertTargets } from '../protocol/webview';
import { imagePathOfSrc, imagesIn, type ImageOccurrence } from '../altText/imageReferences';
import { locateImage, sameResource } from './imageLocation';
import { altTextSettings } from '../host/settings';
import { ASK_PANEL_VIEW_TYPE } from './askPanel/panelHost';
import { altTextInsertion, formatAsComment, hasCommentSyntax, toMarkdownTable } from './insertionText';
import { columnFor } from './editorColumn';

/** Remembers the last text editor and its selection, so focus moving to the panel loses neither. */
export class LastTextEditor implements vscode.Disposable {
  private editor?: vscode.TextEditor;
  private selection?: vscode.Selection;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    this.remember(vscode.window.activeTextEditor);
    this.subscriptions = [
      this.changed,
      vscode.window.onDidChangeActiveTextEditor((editor) => this.remember(editor)),
      vscode.window.onDidChangeTextEditorSelection(({ textEditor }) => {
        if (textEditor === this.editor) this.remember(textEditor);
      }),
    ];
  }

  private remember(editor: vscode.TextEditor | undefined): void {
    // Focus moving to a webview, the panel area or the output leaves the last real editor in place.
    if (!editor || !['file', 'untitled', 'vscode-remote', 'vscode-userdata'].includes(editor.document.uri.scheme)) return;
    this.editor = editor;
    this.selection = editor.selection;
    this.changed.fire();
  }

  /** The remembered editor with its current (or last known) selection, if its document is still open. */
  get current(): { editor: vscode.TextEditor; document: vscode.TextDocument; selection: vscode.Selection } | undefined {
    if (!this.editor || !this.selection || this.editor.document.isClosed) return undefined;
    return { editor: this.editor, document: this.editor.document, selection: this.selection };
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}

/** The image reference whose alt text "Use as alt text" fills, found again at insert time. */
export interface AltTextTarget {
  document: vscode.Uri;
  /** The reference's source as written, and where it was: edits elsewhere may move it. */
  src: string;
  offset: number;
}

/** The notebook cell a plot came from: its answer can go into a Markdown cell below it, wherever the cell has moved. */
export interface NotebookCellTarget {
  notebook: vscode.Uri;
  cell: vscode.NotebookCell;
}

export function altTargetFor(document: vscode.TextDocument, image: ImageOccurrence): AltTextTarget {
  return { document: document.uri, src: image.src, offset: image.start.offset };
}

function documentImages(document: vscode.TextDocument): ImageOccurrence[] {
  return imagesIn(document.getText(), document.uri.path, document.languageId);
}

/**
 * An image reference in `document` that points at `image`, for an image opened from the Explorer
 * while a document that shows it was being edited. References without alt text come first.
 */
export function findAltTargetForImage(document: vscode.TextDocument, image: vscode.Uri): AltTextTarget | undefined {
  const text = document.getText();
  const matches = documentImages(document).filter((occurrence) => {
    const path = imagePathOfSrc(occurrence.src, text);
    if (!path) return false;
    try {
      const location = locateImage(path, document.uri);
      return location.kind === 'uri' && sameResource(location.uri, image);
    } catch {
      return false;
    }
  });
  const best = matches.find((occurrence) => occurrence.altState === 'absent' || occurrence.alt?.trim() === '') ?? matches[0];
  return best && altTargetFor(document, best);
}

export function describeAltTarget(target: AltTextTarget, document: vscode.TextDocument | undefined): string {
  const where = vscode.workspace.asRelativePath(target.document, false);
  const line = document ? `:${document.positionAt(target.offset).line + 1}` : '';
  return `${target.src} in ${where}${line}`;
}

/** What the panel's buttons would do now, for their labels. */
export function describeTargets(last: LastTextEditor, altTarget: AltTextTarget | undefined, cellTarget?: NotebookCellTarget): InsertTargets {
  const current = last.current;
  const altDocument = altTarget && vscode.workspace.textDocuments.find((d) => d.uri.toString() === altTarget.document.toString());
  return {
    editor: current && `${vscode.workspace.asRelativePath(current.document.uri, false)}:${current.selection.active.line + 1}`,
    languageId: current?.document.languageId,
    commentable: !!current && hasCommentSyntax(current.document.languageId),
    hasSelection: !!current && !current.selection.isEmpty,
    altText: altTarget && describeAltTarget(altTarget, altDocument),
    // A deleted cell has no place to put the answer below.
    markdownCell: cellTarget && cellTarget.cell.index >= 0 ? `cell ${cellTarget.cell.index + 1} of ${vscode.workspace.asRelativePath(cellTarget.notebook, false)}` : undefined,
  };
}

/**
 * The answer as a new Markdown cell below the plot's cell. Model text is untrusted: raw HTML and
 * MDX-like braces in it are neutralised (the notebook renders Markdown cells as HTML).
 */
async function insertMarkdownCell(target: NotebookCellTarget, answer: string): Promise<string> {
  const notebook = await vscode.workspace.openNotebookDocument(target.notebook);
  if (target.cell.index < 0) throw new Error(`The plot's cell is no longer in ${vscode.workspace.asRelativePath(notebook.uri, false)}: use Copy, and paste the answer where you want it.`);
  const index = target.cell.index + 1;
  const edit = new vscode.WorkspaceEdit();
  edit.set(notebook.uri, [vscode.NotebookEdit.insertCells(index, [new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, escapeMarkdownProse(answer), 'markdown')])]);
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`VS Code did not add the cell to ${vscode.workspace.asRelativePath(notebook.uri, false)}; it may be read-only.`);
  return `Added a Markdown cell below cell ${index} of ${vscode.workspace.asRelativePath(notebook.uri, false)}.`;
}

/** Carries out an insert action; returns what to tell the user, or throws with the reason it cannot. */
export async function insertAnswer(action: InsertAction, answer: string, last: LastTextEditor, altTarget: AltTextTarget | undefined, cellTarget?: NotebookCellTarget): Promise<string> {
  if (action === 'markdownCell') {
    if (!cellTarget) throw new Error('This image did not come from a notebook cell: use Insert or Copy.');
    return insertMarkdownCell(cellTarget, answer);
  }
  if (action === 'copy') {
    await vscode.env.clipboard.writeText(answer);
    return 'Copied to the clipboard.';
  }
  if (action === 'altText') {
    if (!altTarget) throw new Error('This image did not come from an image reference in a document, so there is no alt text to fill.');
    return fillAltText(altTarget, answer);
  }
  const current = last.current;
  if (!current) throw new Error('Open a text editor and place the cursor where the answer should go, then try again.');
  const { document, selection } = current;
  const name = vscode.workspace.asRelativePath(document.uri, false);
  switch (action) {
    case 'cursor':
      await editDocument(current, new vscode.Range(selection.active, selection.active), answer);
      return `Inserted into ${name}.`;
    case 'replace':
      if (selection.isEmpty) throw new Error(`Nothing is selected in ${name}. Select the text to replace, then try again.`);
      await editDocument(current, selection, answer);
      return `Replaced the selection in ${name}.`;
    case 'comment': {
      const line = document.lineAt(selection.active.line);
      const indent = line.text.slice(0, line.firstNonWhitespaceCharacterIndex);
      const comment = formatAsComment(answer, document.languageId, indent);
      if (comment === undefined) {
        throw new Error(`${document.languageId} files have no comment syntax Loupe knows. Use Insert at cursor instead.`);
      }
      await editDocument(current, new vscode.Range(line.range.start, line.range.start), `${comment}\n`);
      return `Inserted a comment above line ${line.lineNumber + 1} of ${name}.`;
    }
    case 'table': {
      const table = toMarkdownTable(answer);
      if (!table) throw new Error('The answer holds no table (no Markdown table and no comma- or tab-separated rows). Try "Chart to table" again, or insert it as text.');
      const line = document.lineAt(selection.active.line);
      // A table needs lines of its own: after a non-empty line it starts after a blank line.
      const text = line.isEmptyOrWhitespace ? `${table}\n` : `\n\n${table}\n`;
      const at = line.isEmptyOrWhitespace ? line.range.start : line.range.end;
      await editDocument(current, new vscode.Range(at, at), text);
      return `Inserted a table into ${name}.`;
    }
  }
}

/**
 * Edits through an editor, brought into view if it is not (a workspace edit to a document in no
 * editor is saved at once): the change is seen, undoable, and unsaved like any edit, so auto-save
 * off means the user saves it.
 */
async function editDocument(target: { editor?: vscode.TextEditor; document: vscode.TextDocument }, range: vscode.Range, text: string): Promise<void> {
  const editor =
    target.editor && vscode.window.visibleTextEditors.includes(target.editor)
      ? target.editor
      : await vscode.window.showTextDocument(target.document, { viewColumn: columnFor(target.document.uri, ASK_PANEL_VIEW_TYPE), preserveFocus: true, preview: false });
  const applied = await editor.edit((builder) => builder.replace(range, text));
  if (!applied) throw new Error(`VS Code did not apply the edit to ${vscode.workspace.asRelativePath(target.document.uri, false)}; it may be read-only.`);
}

async function fillAltText(target: AltTextTarget, answer: string): Promise<string> {
  const document = await vscode.workspace.openTextDocument(target.document);
  const name = vscode.workspace.asRelativePath(document.uri, false);
  const { edit, image, alt } = altTextInsertion(
    { text: document.getText(), fileName: name, languageId: document.languageId },
    target,
    answer,
    altTextSettings(document.uri).maxLength,
  );
  const range = new vscode.Range(document.positionAt(edit.start), document.positionAt(edit.end));
  await editDocument({ document }, range, edit.newText);
  target.offset = image.start.offset;
  return `Set the alt text of ${target.src} in ${name}:${range.start.line + 1} to "${alt}".`;
}
