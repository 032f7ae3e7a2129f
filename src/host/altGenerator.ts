import * as vscode from 'vscode';
import type { AltTextGenerator } from '../altText/altProposals';
import { resolveOptions, validSampling } from '../protocol/options';
import { answerSource } from './visionModels';
import type { LoupeServices } from './services';

/**
 * The generator the alt text quick fixes and the workspace batch use, asking whichever vision
 * model answers now (the CLI's is client/visionModel.ts's altTextGeneratorFor). Images are read
 * through `workspace.fs`; the raw answer is returned and altProposals post-processes it.
 */
export function createAltGenerator(services: LoupeServices): AltTextGenerator {
  return {
    // The batch asks this many at once: a server answers several together, the local engine one.
    get concurrency() {
      const source = answerSource();
      return source.kind === 'server' ? source.endpoint.concurrency : 1;
    },
    model: async () => (await services.visionModels.current()).identity(),
    async generate(request, signal) {
      const { settings } = services;
      const model = await services.visionModels.current();
      const imageUri = vscode.Uri.file(request.imagePath);
      const bytes = await vscode.workspace.fs.readFile(imageUri);
      const name = imageUri.path.split('/').pop() || 'image';
      const diagram = request.task === 'describe-diagram';
      const job = model.ask({
        task: request.task,
        image: { kind: 'bytes', name, bytes },
        documentContext: request.documentContext,
        language: request.language,
        altTextMaxLength: request.maxLength,
        ocrGrounding: diagram && settings.ocrGrounding,
        options: resolveOptions(settings.preset, { ...(diagram && { maxNewTokens: 512 }), sampling: validSampling(settings.samplingSetting) }, request.task),
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
