/**
 * How the alt text fixes and the batch report a missing model: before any work starts, with the
 * action that fixes it, instead of an error after the whole workspace was scanned.
 */
import * as vscode from 'vscode';
import type { AltTextGenerator } from '../altText/altProposals';
import { EngineError } from '../protocol/engineError';

const DOWNLOAD = 'Download Model';

/** True when a model is there to ask; otherwise says so with a "Download Model" action and returns false. */
export async function ensureAltTextModel(generator: AltTextGenerator): Promise<boolean> {
  try {
    await generator.model();
    return true;
  } catch (error) {
    await showAltTextError(error);
    return false;
  }
}

/** An error of an alt text command; a missing model gets the action that installs one. */
export async function showAltTextError(error: unknown): Promise<void> {
  if (isModelMissing(error)) {
    const choice = await vscode.window.showErrorMessage(
      'Loupe: no model is installed, so Loupe cannot write alt text yet. Download one with "Loupe: Download Model" (size and license are shown first), then run this again.',
      DOWNLOAD,
    );
    if (choice === DOWNLOAD) await vscode.commands.executeCommand('loupe.downloadModel');
    return;
  }
  void vscode.window.showErrorMessage(`Loupe: ${(error as Error).message}`);
}

function isModelMissing(error: unknown): boolean {
  return error instanceof EngineError && error.code === 'MODEL_MISSING';
}
