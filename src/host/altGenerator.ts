import * as vscode from 'vscode';
import { resolveOptions } from '../protocol/options';
import { EngineError } from './engineClient';
import type { LoupeServices } from './services';
import { loupeSettings } from './settings';

export interface AltRequest {
  imageUri: vscode.Uri;
  documentContext: string;
  language?: string;
  task: 'alt-text' | 'describe-diagram';
}
export type AltGenerator = (request: AltRequest, token: vscode.CancellationToken) => Promise<string>;

/**
 * The engine-backed generator the alt text quick fixes and the workspace batch use. Images are
 * read through `workspace.fs` so remote workspaces work; the raw answer is returned and the
 * callers post-process it for their syntax.
 */
export function createAltGenerator(services: LoupeServices): AltGenerator {
  return async (request, token) => {
    const modelDir = await services.resolveModelDir();
    if (!modelDir) {
      throw new EngineError('MODEL_MISSING', 'No model is installed. Run "Loupe: Select Model" to download one.');
    }
    const settings = loupeSettings();
    const bytes = await vscode.workspace.fs.readFile(request.imageUri);
    const name = request.imageUri.path.split('/').pop() || 'image';
    const job = services.engine.generate({
      modelDir,
      task: request.task,
      image: { kind: 'bytes', name, bytes },
      documentContext: request.documentContext,
      language: request.language || settings.altTextLanguage || undefined,
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
