/**
 * Plots in Jupyter notebooks: "Explain This Plot", "Alt Text for This Plot" and "Chart to Table"
 * on a code cell whose output holds an image (PNG, JPEG or SVG). VS Code lets extensions add to a
 * cell's toolbar (`notebook/cell/title`), not to an output's own menu, so the commands are on the
 * cell's "…" menu and in the palette (the selected cell). The answer comes in the chat or panel,
 * and "Insert as Markdown cell" puts it below the cell.
 */
import * as vscode from 'vscode';
import { formatForMimeType } from '../protocol/imageFormats';
import type { Task } from '../protocol/tasks';
import type { AskPanelController } from './askPanel/askPanel';
import { loadImageFromBytes } from './askPanel/loadedImage';

/** The output kinds a plot comes as, the first found in an output is asked about (rasters before SVG). */
export const PLOT_MIME_TYPES = ['image/png', 'image/jpeg', 'image/svg+xml'] as const;

const PLOT_COMMANDS: Record<string, Task> = {
  'loupe.explainPlot': 'describe-diagram',
  'loupe.plotAltText': 'alt-text',
  'loupe.plotToTable': 'chart-to-table',
};

export function registerNotebookPlotCommands(context: vscode.ExtensionContext, panel: AskPanelController): void {
  for (const [command, task] of Object.entries(PLOT_COMMANDS)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(command, async (clicked?: unknown) => {
        try {
          await askAboutPlot(cellFrom(clicked), task, panel);
        } catch (error) {
          void vscode.window.showErrorMessage(`Loupe: ${error instanceof Error ? error.message : String(error)}`);
        }
      }),
    );
  }
}

/** The cell whose toolbar was used, else the selected cell of the notebook in front. */
function cellFrom(clicked: unknown): vscode.NotebookCell {
  if (isNotebookCell(clicked)) return clicked;
  const editor = vscode.window.activeNotebookEditor;
  if (!editor) throw new Error('Open a notebook and select the cell with the plot first.');
  return editor.notebook.cellAt(editor.selection.start);
}

function isNotebookCell(value: unknown): value is vscode.NotebookCell {
  return typeof value === 'object' && value !== null && 'outputs' in value && 'notebook' in value && 'index' in value;
}

/** The cell's first plot: the first output holding one of PLOT_MIME_TYPES, in that order of preference. */
export function plotOf(outputs: readonly { items: readonly { mime: string; data: Uint8Array }[] }[]): { mime: string; data: Uint8Array } | undefined {
  for (const output of outputs) {
    for (const mime of PLOT_MIME_TYPES) {
      const item = output.items.find((candidate) => candidate.mime === mime);
      if (item) return item;
    }
  }
  return undefined;
}

async function askAboutPlot(cell: vscode.NotebookCell, task: Task, panel: AskPanelController): Promise<void> {
  const notebookName = vscode.workspace.asRelativePath(cell.notebook.uri, false);
  const plot = plotOf(cell.outputs);
  if (!plot) throw new Error(`Cell ${cell.index + 1} of ${notebookName} has no image output (PNG, JPEG or SVG). Run the cell, or select the cell that draws the plot.`);
  const extension = formatForMimeType(plot.mime)?.extensions[0] ?? 'png';
  const baseName = cell.notebook.uri.path.split('/').pop()!.replace(/\.ipynb$/i, '');
  const image = loadImageFromBytes(`${baseName}-cell-${cell.index + 1}.${extension}`, plot.data, `${notebookName}, cell ${cell.index + 1}`);
  await panel.show({ image, ask: { task }, notebookCell: { notebook: cell.notebook.uri, cell } });
}
