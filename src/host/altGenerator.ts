import * as vscode from 'vscode';
import { modelIdentity } from '../altText/altCache';
import type { AltTextGenerator } from '../altText/altProposals';
import { resolveOptions } from '../protocol/options';
import { EngineError } from '../protocol/engineError';
import type { LoupeServices } from './services';

/**
 * The engine-backed generator the alt text quick fixes and the workspace batch use (the CLI's is
 * in cli/altTextCommand.ts; both are altText/altProposals.ts's AltTextGenerator). Images are read
 * through `workspace.fs`; the raw answer is returned and altProposals post-processes it.
 */
export function createAltGenerator(services: LoupeServices): AltTextGenerator {
  const modelDir = async () => {
    const dir = await services.resolveModelDir();
    if (!dir) throw new EngineError('MODEL_MISSING', 'No model is installed. Run "Loupe: Download Model" to get one, or set loupe.model.path to a model folder.');
    return dir;
  };
  return {
    model: async () => modelIdentity(await modelDir()),
    async generate(request, signal) {
      const { settings } = services;
      const imageUri = vscode.Uri.file(request.imagePath);
      const bytes = await vscode.workspace.fs.readFile(imageUri);
      const name = imageUri.path.split('/').pop() || 'image';
      const diagram = request.task === 'describe-diagram';
      const job = services.engine.generate({
        modelDir: await modelDir(),
        task: request.task,
        image: { kind: 'bytes', name, bytes },
        documentContext: request.documentContext,
        language: request.language,
        altTextMaxLength: request.maxLength,
        ocrGrounding: diagram && settings.ocrGrounding,
        options: resolveOptions(settings.preset, diagram ? { maxNewTokens: 512 } : {}, request.task),
      });
      const cancel = () => job.cancel();
      signal?.addEventListener('abort', cancel);
      try {
        return (await job.result).text;
      } finally {
        signal?.removeEventListener('abort', cancel);
      }
    },
  };
}
