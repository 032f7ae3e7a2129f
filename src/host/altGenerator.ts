import * as vscode from 'vscode';
import { resolveOptions } from '../protocol/options';
import { EngineError } from './engineClient';
import type { LoupeServices } from './services';

export interface AltGenerationRequest {
  imageUri: vscode.Uri;
  /** The prose around the image, for the prompt. */
  documentContext: string;
  /** The answer's language: the setting, else the document's declared one, else VS Code's. */
  language: string;
  task: 'alt-text' | 'describe-diagram';
}

/** The model call behind the quick fixes and the batch; returns the raw answer. */
export type GenerateAlt = (request: AltGenerationRequest, token: vscode.CancellationToken) => Promise<string>;

/**
 * The engine-backed generator the alt text quick fixes and the workspace batch use. Images are
 * read through `workspace.fs` so remote workspaces work; the raw answer is returned and the
 * callers post-process it for their syntax.
 */
export function createAltGenerator(services: LoupeServices): GenerateAlt {
  return async (request, token) => {
    const modelDir = await services.resolveModelDir();
    if (!modelDir) {
      throw new EngineError('MODEL_MISSING', 'No model is installed. Run "Loupe: Select Model" to download one.');
    }
    const { settings } = services;
    const bytes = await vscode.workspace.fs.readFile(request.imageUri);
    const name = request.imageUri.path.split('/').pop() || 'image';
    const job = services.engine.generate({
      modelDir,
      task: request.task,
      image: { kind: 'bytes', name, bytes },
      documentContext: request.documentContext,
      language: request.language,
      ocrGrounding: request.task === 'describe-diagram' && settings.ocrGrounding,
      options: resolveOptions(settings.preset, request.task === 'describe-diagram' ? { maxNewTokens: 512 } : {}, request.task),
    });
    const subscription = token.onCancellationRequested(() => job.cancel());
    try {
      return (await job.result).text;
    } finally {
      subscription.dispose();
    }
  };
}
