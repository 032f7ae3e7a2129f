/**
 * The vision model on an OpenAI-compatible server: the same prompts as the local engine
 * (src/prompts/taskPrompts.ts), the image as a data URL, the answer streamed. Nothing is sent
 * before the user's consent for a host other than this machine.
 */
import { randomUUID } from 'node:crypto';
import type { ModelIdentity } from '../altText/altCache';
import type { GenerateHandlers, GenerateResult, Job } from '../client/engineClient';
import type { AskInput, VisionModel } from '../client/visionModel';
import { buildMessages, type ChatMessage } from '../prompts/taskPrompts';
import { endpointTarget, type Endpoint, type EndpointTarget } from './endpoint';
import { imageDataUrl } from './remoteImage';
import { listModels, streamChat, type OpenAiMessage, type Timeouts } from './openAiChat';
import { RemoteError } from './remoteErrors';
import { RequestLimiter } from './requestLimiter';

/** Asked once per endpoint before the first image goes to a host other than this machine. */
export type ConsentPrompt = (target: EndpointTarget, endpoint: Endpoint) => Promise<boolean>;

export class ConsentRefused extends Error {
  constructor(host: string) {
    super(`Nothing was sent: sending images to ${host} was not allowed.`);
    this.name = 'ConsentRefused';
  }
}

export interface RemoteVisionModelOptions {
  endpoint: Endpoint;
  apiKey?: string;
  consent: ConsentPrompt;
  timeouts?: Partial<Timeouts>;
}

function openAiMessages(messages: ChatMessage[], imageUrl: string): OpenAiMessage[] {
  return messages.map((message) => ({
    role: message.role,
    content:
      typeof message.content === 'string'
        ? message.content
        : message.content.map((part) => (part.type === 'image' ? { type: 'image_url' as const, image_url: { url: imageUrl } } : part)),
  }));
}

export class RemoteVisionModel implements VisionModel {
  readonly description: string;
  readonly concurrency: number;
  private readonly target: EndpointTarget;
  private consented: Promise<void> | undefined;
  /** Every request of this model goes through it: at most `concurrency` in flight, 429s honoured. */
  private readonly limiter: RequestLimiter;

  constructor(private readonly options: RemoteVisionModelOptions) {
    this.target = endpointTarget(options.endpoint);
    this.description = `${options.endpoint.model} at ${this.target.host}`;
    this.concurrency = options.endpoint.concurrency;
    this.limiter = new RequestLimiter(this.concurrency);
  }

  identity(): Promise<ModelIdentity> {
    return Promise.resolve({ model: `${this.options.endpoint.model}@${this.target.host}`, precision: 'server' });
  }

  ask(input: AskInput, handlers: GenerateHandlers = {}): Job<GenerateResult> {
    const abort = new AbortController();
    return { id: randomUUID(), result: this.answer(input, handlers, abort.signal), cancel: () => abort.abort() };
  }

  /** Once per model instance; a refusal is asked again next time (the user may change their mind). */
  private ensureConsent(): Promise<void> {
    if (this.target.loopback) return Promise.resolve();
    this.consented ??= this.options.consent(this.target, this.options.endpoint).then((allowed) => {
      if (allowed) return;
      this.consented = undefined;
      throw new ConsentRefused(this.target.host);
    });
    return this.consented;
  }

  private async answer(input: AskInput, handlers: GenerateHandlers, signal: AbortSignal): Promise<GenerateResult> {
    const started = performance.now();
    await this.ensureConsent();
    handlers.onProgress?.('reading-image');
    const imageUrl = await imageDataUrl(input.image, signal);
    const messages = buildMessages({
      task: input.task,
      question: input.question ?? '',
      history: input.history ?? [],
      documentContext: input.documentContext,
      language: input.language,
      altTextMaxLength: input.altTextMaxLength,
    });
    handlers.onProgress?.('generating');
    let index = 0;
    const chat = await this.limiter
      .run(
        () =>
          streamChat({
            endpoint: this.options.endpoint,
            apiKey: this.options.apiKey,
            messages: openAiMessages(messages, imageUrl),
            maxTokens: input.options.maxNewTokens,
            sampling: input.options.sampling ?? {},
            signal,
            timeouts: this.options.timeouts,
            onToken: (text) => handlers.onToken?.(text, index++),
          }),
        signal,
      )
      .catch((error: unknown) => this.explainMissingModel(error));
    const generatedTokens = chat.completionTokens ?? chat.deltas;
    return {
      text: chat.text,
      stopReason: chat.cancelled ? 'stopped' : chat.finishReason === 'length' ? 'limit' : 'end',
      stats: {
        promptTokens: chat.promptTokens ?? 0,
        imageTokens: 0,
        tiles: 0,
        generatedTokens,
        // Measured from the user's request, as the local engine does: consent and encoding count.
        timeToFirstTokenMs: chat.timeToFirstTokenMs + (performance.now() - started - chat.totalMs),
        tokensPerSecond: generatedTokens > 1 && chat.decodeMs > 0 ? (generatedTokens - 1) / (chat.decodeMs / 1000) : 0,
        totalMs: performance.now() - started,
        sampling: { temperature: 0, ...input.options.sampling },
      },
    };
  }

  /** "Model not found" names what the server does serve, when it says. */
  private async explainMissingModel(error: unknown): Promise<never> {
    if (!(error instanceof RemoteError) || error.kind !== 'model-missing') throw error;
    const served = await listModels(this.options.endpoint, this.options.apiKey).catch(() => []);
    if (served.length === 0) throw error;
    throw new RemoteError('model-missing', `${error.message} It serves: ${served.slice(0, 12).join(', ')}${served.length > 12 ? ', …' : ''}.`, error.details);
  }
}
