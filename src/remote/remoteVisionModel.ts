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
import { imageDataUrl } from './remoteImage';
import { EngineError } from '../protocol/engineError';
import type { OpenAiMessage, Timeouts } from './openAiChat';
import { ServerConnection, type ServerConnectionOptions } from './serverConnection';
import { RemoteError } from './remoteErrors';
import { RequestLimiter } from './requestLimiter';

/** A server to connect to, or a connection already opened (the CLI's key probe: the name is resolved once). */
export type RemoteVisionModelOptions = (ServerConnectionOptions | { connection: ServerConnection }) & { timeouts?: Partial<Timeouts> };

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
  /** Every request goes through it: resolved once, plain http refused, consent first. */
  readonly connection: ServerConnection;
  /** Every request of this model goes through it: at most `concurrency` in flight, 429s honoured. */
  private readonly limiter: RequestLimiter;

  constructor(private readonly options: RemoteVisionModelOptions) {
    this.connection = 'connection' in options ? options.connection : new ServerConnection(options);
    this.description = `${this.connection.endpoint.model} at ${this.connection.location.host}`;
    this.concurrency = this.connection.endpoint.concurrency;
    this.limiter = new RequestLimiter(this.concurrency);
  }

  identity(): Promise<ModelIdentity> {
    return Promise.resolve({ model: `${this.connection.endpoint.model}@${this.connection.location.host}`, precision: 'server' });
  }

  ask(input: AskInput, handlers: GenerateHandlers = {}): Job<GenerateResult> {
    const abort = new AbortController();
    return { id: randomUUID(), result: this.answer(input, handlers, abort.signal), cancel: () => abort.abort() };
  }

  private async answer(input: AskInput, handlers: GenerateHandlers, signal: AbortSignal): Promise<GenerateResult> {
    const started = performance.now();
    // The crop and the second image are made by the local engine; a server would silently answer about the whole first image.
    if (input.region || input.secondImage) {
      throw new EngineError('UNSUPPORTED', 'Asking about a region or comparing two images works with the model on this machine only. Leave out the model server.');
    }
    // Nothing is read or sent before the host is resolved, allowed and consented to.
    await this.connection.route();
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
          this.connection.chat({
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
      stopReason: chat.cancelled ? 'stopped' : chat.finishReason === 'length' || chat.finishReason === 'deadline' ? 'limit' : 'end',
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
    const served = await this.connection.listModels().catch(() => []);
    if (served.length === 0) throw error;
    throw new RemoteError('model-missing', `${error.message} It serves: ${served.slice(0, 12).join(', ')}${served.length > 12 ? ', …' : ''}.`, error.details);
  }
}
