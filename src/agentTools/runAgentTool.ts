/**
 * One call of an agent tool, the same in VS Code and in `loupe mcp`: the input checked, the image
 * admitted by the engine (the one intake check), the task asked of the vision model the user chose
 * (or OCR), and the answer returned with what produced it, so the calling agent can cite it.
 * Anything that goes wrong becomes words the calling model can act on (AgentToolFailure).
 */
import type { Job, Phase } from '../client/engineClient';
import { finishAnswer, taskRequest, type TaskSettings } from '../client/taskPolicy';
import type { VisionModel } from '../client/visionModel';
import { EngineError } from '../protocol/engineError';
import { PHASE_LABELS, type ImageInfo, type ImageInput, type OcrResult, type StopReason } from '../protocol/engine';
import { AGENT_TOOLS, TASK_FOR_KIND, type AgentToolInput, type AgentToolName, type FoundAnswer, type OcrAnswer } from './toolCatalog';
import { FIND_PROBLEM_TEXT, foundIn } from '../protocol/findBoxes';
import { toolImage, ToolRefusal } from './toolImage';

/** What a host (the extension, `loupe mcp`) lends the tools. */
export interface AgentToolHost {
  /** The engine's intake check and OCR. */
  inspect(image: ImageInput): Job<ImageInfo>;
  ocr(image: ImageInput): Job<OcrResult>;
  /** The vision model the user chose; throws (MODEL_MISSING, a refused server) when there is none to use. */
  model(): Promise<VisionModel>;
  settings(): Omit<TaskSettings, 'maxNewTokens'>;
  /** Folders images may come from: the workspace, or the MCP client's roots. */
  roots(): Promise<readonly string[]>;
  /** How a user installs a model, in this host's words ("Run Loupe: Download Model"). */
  installHint: string;
}

export interface AgentToolCall {
  signal?: AbortSignal;
  onProgress?(message: string): void;
}

/** What produced the answer: the calling agent's proof that the image was looked at. */
export interface AgentToolProvenance {
  tool: AgentToolName;
  image: { name: string; format: string; width: number; height: number };
  /** The vision model ("the model on this machine (lfm2.5-vl-450m, q4)" or "qwen2.5-vl at gpu:8000"); OCR for text. */
  model: string;
  preset?: string;
  tiles?: number;
  imageTokens?: number;
  stopReason?: StopReason;
}

export interface AgentToolAnswer {
  text: string;
  provenance: AgentToolProvenance;
  /** For loupe_read_image_text: every line with its box. */
  ocr?: OcrAnswer;
  /** For loupe_find_in_image: every box with its label. */
  found?: FoundAnswer;
}

/** A call that could not be answered, in words the calling model can act on. */
export class AgentToolFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentToolFailure';
  }
}

export async function runAgentTool(name: AgentToolName, rawInput: unknown, host: AgentToolHost, call: AgentToolCall = {}): Promise<AgentToolAnswer> {
  try {
    return await answer(name, rawInput, host, call);
  } catch (error) {
    throw failureFor(error, host);
  }
}

async function answer(name: AgentToolName, rawInput: unknown, host: AgentToolHost, call: AgentToolCall): Promise<AgentToolAnswer> {
  const parsed = AGENT_TOOLS[name].input.safeParse(rawInput ?? {});
  if (!parsed.success) throw new ToolRefusal(`The input does not fit ${name}: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('; ')}.`);
  const input = parsed.data as AgentToolInput<AgentToolName>;
  const { input: image, name: imageName } = await toolImage(input, await host.roots());
  const info = await until(host.inspect(image), call.signal);
  const seen = { name: imageName, format: info.format, width: info.width, height: info.height };
  if (name === 'loupe_read_image_text') {
    call.onProgress?.(PHASE_LABELS.ocr);
    const result = await until(host.ocr(image), call.signal);
    const ocr: OcrAnswer = { width: result.width, height: result.height, lines: result.lines.map(({ text, confidence, box }) => ({ text, confidence, box })) };
    return { text: result.text || '(no text found)', provenance: { tool: name, image: seen, model: 'PaddleOCR PP-OCRv4 on this machine' }, ocr };
  }
  const model = await host.model();
  const settings = host.settings();
  const { task, question, documentContext } = taskOf(name, input);
  const asked = taskRequest(task, settings);
  const job = model.ask({ ...asked, question, image, documentContext, history: [] }, { onProgress: (phase: Phase) => call.onProgress?.(PHASE_LABELS[phase]) });
  const result = await until(job, call.signal);
  const identity = await model.identity();
  // A server's Find answer comes unread: the engine's strict reader, on the size the engine's intake check reports.
  const found: FoundAnswer | undefined = task === 'find' ? foundIn(result.find, result.text, info) : undefined;
  return {
    ...(found && { found }),
    text: found ? foundText(found) : finishAnswer(task, result.text, result.stopReason, settings),
    provenance: {
      tool: name,
      image: seen,
      model: `${model.description} (${identity.model}, ${identity.precision})`,
      preset: settings.preset,
      ...(result.stats.tiles > 0 && { tiles: result.stats.tiles, imageTokens: result.stats.imageTokens }),
      stopReason: result.stopReason,
    },
  };
}

function taskOf(name: AgentToolName, input: Record<string, unknown>): { task: ReturnType<typeof taskRequest>['task']; question: string; documentContext?: string } {
  switch (name) {
    case 'loupe_describe_image':
      return { task: TASK_FOR_KIND[(input.kind as keyof typeof TASK_FOR_KIND | undefined) ?? 'screenshot'], question: '' };
    case 'loupe_ask_image':
      return { task: 'question', question: String(input.question) };
    case 'loupe_find_in_image':
      return { task: 'find', question: String(input.what) };
    default:
      return { task: 'alt-text', question: '', documentContext: input.context as string | undefined };
  }
}

/** "2 found", then a line per box: label, then x, y, width, height in pixels. */
function foundText({ image, boxes, problem }: FoundAnswer): string {
  const lines = [`${boxes.length} found (x, y, width, height in pixels of the ${image.width}×${image.height} image)`, ...boxes.map((box) => `- ${box.label}: ${box.x}, ${box.y}, ${box.width}, ${box.height}`)];
  if (problem) lines.push(`The model's answer was not a complete box list: ${FIND_PROBLEM_TEXT[problem]}.`);
  return lines.join('\n');
}

/** The job's result; the caller's cancellation cancels the job (the engine stops its work). */
async function until<T>(job: Job<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal?.aborted) job.cancel();
  const cancel = () => job.cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    const result = await job.result;
    // A stopped answer resolves with what it had; for the caller it is a cancelled call.
    if (signal?.aborted) throw new AgentToolFailure('The call was cancelled.');
    return result;
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

function failureFor(error: unknown, host: AgentToolHost): AgentToolFailure {
  if (error instanceof AgentToolFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof EngineError && error.code === 'MODEL_MISSING') return new AgentToolFailure(`${message} ${host.installHint}`);
  if (error instanceof EngineError && error.code === 'CANCELLED') return new AgentToolFailure('The call was cancelled.');
  return new AgentToolFailure(message);
}

/** The answer as text parts carry it: the answer, then one line saying what produced it. */
export function answerText(answer: AgentToolAnswer): string {
  const { provenance: p } = answer;
  const parts = [`${p.image.name}, ${p.image.format.toUpperCase()} ${p.image.width}×${p.image.height}`, p.model];
  if (p.preset) parts.push(`preset ${p.preset}`);
  if (p.tiles !== undefined) parts.push(`${p.tiles} tile${p.tiles === 1 ? '' : 's'}, ${p.imageTokens} image tokens`);
  if (p.stopReason === 'limit') parts.push('cut at the answer length limit');
  return `${answer.text}\n\n[Loupe looked at ${parts.join(' · ')}]`;
}
