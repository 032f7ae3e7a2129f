import * as vscode from 'vscode';
import type { AltTextGenerator } from '../altText/altProposals';
import { altTextGeneratorFor } from '../client/visionModel';
import { validSampling } from '../protocol/options';
import { answerSource } from './visionModels';
import type { LoupeServices } from './services';

/**
 * The alt text quick fixes' and the workspace batch's generator: whichever vision model answers
 * now, the user's preset, sampling and OCR setting, images read through `workspace.fs`.
 */
export function createAltGenerator(services: LoupeServices): AltTextGenerator {
  return altTextGeneratorFor({
    model: () => services.visionModels.current(),
    // The batch asks this many at once: a server answers several together, the local engine one.
    get concurrency() {
      const source = answerSource();
      return source.kind === 'server' ? source.endpoint.concurrency : 1;
    },
    settings: () => ({ preset: services.settings.preset, sampling: validSampling(services.settings.samplingSetting), ocrGrounding: services.settings.ocrGrounding }),
    image: async (path) => {
      const uri = vscode.Uri.file(path);
      return { kind: 'bytes', name: uri.path.split('/').pop() || 'image', bytes: await vscode.workspace.fs.readFile(uri) };
    },
  });
}
