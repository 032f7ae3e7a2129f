/**
 * Which vision model answers in the editor now: the server `loupe.answerFrom` names, else the
 * model on this machine. The panel, quick fixes and batch ask through this, never the engine.
 */
import type * as vscode from 'vscode';
import type { EngineClient } from '../client/engineClient';
import { LocalVisionModel, type VisionModel } from '../client/visionModel';
import { EngineError } from '../protocol/engineError';
import { parseEndpoints, type Endpoint } from '../remote/endpoint';
import { RemoteVisionModel } from '../remote/remoteVisionModel';
import type { EndpointKeys } from './endpointKeys';
import { editorConsent } from './remoteConsent';
import { answerFromSetting, endpointsSetting } from './settings';

/** Where answers come from, for the status bar. */
export type AnswerSource = { kind: 'local' } | { kind: 'server'; endpoint: Endpoint } | { kind: 'missing-server'; name: string };

export function answerSource(): AnswerSource {
  const name = answerFromSetting();
  if (!name) return { kind: 'local' };
  const endpoint = parseEndpoints(endpointsSetting()).endpoints.find((entry) => entry.name === name);
  return endpoint ? { kind: 'server', endpoint } : { kind: 'missing-server', name };
}

/** Who proposes text, in words for quick fix titles and the review ("local model", or the server's name). */
export function answerSourceLabel(): string {
  const source = answerSource();
  return source.kind === 'server' ? source.endpoint.name : source.kind === 'missing-server' ? source.name : 'local model';
}

/** "the local model" or 'the model server "Team GPU"', for sentences that say where a proposal came from. */
export function proposerName(): string {
  const label = answerSourceLabel();
  return label === 'local model' ? 'the local model' : `the model server "${label}"`;
}

export class VisionModels {
  private remote?: { signature: string; model: RemoteVisionModel };

  constructor(
    private readonly engine: EngineClient,
    private readonly resolveModelDir: () => Promise<string | undefined>,
    private readonly keys: EndpointKeys,
    private readonly globalState: vscode.Memento,
  ) {}

  /** The model to ask; throws MODEL_MISSING (with what to do) when there is none. */
  async current(): Promise<VisionModel> {
    const source = answerSource();
    if (source.kind === 'missing-server') {
      throw new EngineError('MODEL_MISSING', `loupe.answerFrom names the model server "${source.name}", which is not in loupe.endpoints. Pick a model with "Loupe: Select Model".`);
    }
    if (source.kind === 'server') return this.remoteModel(source.endpoint);
    const modelDir = await this.resolveModelDir();
    if (!modelDir) throw new EngineError('MODEL_MISSING', 'No model is installed. Download one with "Loupe: Download Model", or answer from a model server.');
    return new LocalVisionModel(this.engine, modelDir);
  }

  /** One instance per endpoint and key, so its consent and settings hold across questions. */
  private async remoteModel(endpoint: Endpoint): Promise<RemoteVisionModel> {
    const apiKey = await this.keys.get(endpoint.name);
    const signature = JSON.stringify([endpoint, apiKey ?? '']);
    if (this.remote?.signature !== signature) {
      this.remote = { signature, model: new RemoteVisionModel({ endpoint, apiKey, consent: editorConsent(this.globalState) }) };
    }
    return this.remote.model;
  }
}
