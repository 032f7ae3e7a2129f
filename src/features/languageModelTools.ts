/**
 * Loupe's agent tools (src/agentTools) as VS Code language-model tools, for chat agents and for
 * other extensions (`vscode.lm.invokeTool`). The activation shell registers one proxy per tool
 * package.json contributes, because VS Code looks for a tool's implementation as soon as its
 * `onLanguageModelTool:` activation returns; the calls land here, in the features bundle.
 * Each call is confirmed by the user, who is told which image and where it goes (a model server's
 * host); the answer says what produced it, and a failure comes back as words, never a stack.
 */
import * as vscode from 'vscode';
import { answerText, runAgentTool, type AgentToolAnswer, type AgentToolHost } from '../agentTools/runAgentTool';
import { AGENT_TOOLS, type AgentToolName } from '../agentTools/toolCatalog';
import type { LoupeServices } from '../host/services';
import { answerSource } from '../host/visionModels';
import { validSampling } from '../protocol/options';
import { endpointLocation } from '../remote/endpoint';

export const INSTALL_HINT = 'Run "Loupe: Download Model" (or "Loupe: Select Model") to install one.';

/** What each tool does to its image, for progress and confirmation messages. */
const DOING: Record<AgentToolName, string> = {
  loupe_describe_image: 'Describing',
  loupe_ask_image: 'Asking about',
  loupe_read_image_text: 'Reading the text in',
  loupe_alt_text: 'Writing alt text for',
  loupe_find_in_image: 'Finding things in',
};

/** The tools' work, behind the shell's proxies (src/extension.ts); `name` is one package.json contributes. */
export interface LanguageModelTools {
  prepareInvocation(name: string, options: vscode.LanguageModelToolInvocationPrepareOptions<unknown>): vscode.PreparedToolInvocation;
  invoke(name: string, options: vscode.LanguageModelToolInvocationOptions<unknown>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult>;
}

export function languageModelTools(services: LoupeServices): LanguageModelTools {
  const host = toolHost(services);
  return {
    prepareInvocation: (name, { input }) => {
      const tool = name as AgentToolName;
      const image = imageNamed(input);
      return {
        invocationMessage: `${DOING[tool]} ${image}`,
        confirmationMessages: { title: `Loupe: ${AGENT_TOOLS[tool].title}`, message: whereItGoes(tool, image) },
      };
    },
    invoke: async (name, { input }, token) => {
      const tool = name as AgentToolName;
      const controller = new AbortController();
      // Cancelling the call cancels the engine job (runAgentTool passes the signal on).
      const cancel = token.onCancellationRequested(() => controller.abort());
      if (token.isCancellationRequested) controller.abort();
      try {
        const answer = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Loupe: ${DOING[tool]} ${imageNamed(input)}` }, (progress) =>
          runAgentTool(tool, input, host, { signal: controller.signal, onProgress: (message) => progress.report({ message }) }),
        );
        return toolResult(answer);
      } catch (error) {
        // runAgentTool's failures are said for the calling model to act on: they are its result.
        const message = error instanceof Error ? error.message : String(error);
        services.log.info(`Loupe tool ${tool}: ${message}`);
        return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(message)]);
      } finally {
        cancel.dispose();
      }
    },
  };
}

/** The editor's side of the tools: its engine, the model the user chose, its settings and workspace folders. */
function toolHost(services: LoupeServices): AgentToolHost {
  return {
    inspect: (image) => services.engine.inspect(image),
    ocr: (image) => services.engine.ocr(image),
    model: () => services.visionModels.current(),
    settings: () => {
      const altText = services.settings.altText();
      return {
        preset: services.settings.preset,
        sampling: validSampling(services.settings.samplingSetting),
        ocrGrounding: services.settings.ocrGrounding,
        altTextMaxLength: altText.maxLength,
        // As the Ask panel: the editor's language unless alt text has one of its own.
        language: altText.language || vscode.env.language,
      };
    },
    // Images are read from disk by the engine, so only folders on this machine count.
    roots: async () => (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file').map((folder) => folder.uri.fsPath),
    installHint: INSTALL_HINT,
  };
}

/** The answer with its provenance line; OCR's lines and Find's boxes also as JSON, for agents that use positions. */
function toolResult(answer: AgentToolAnswer): vscode.LanguageModelToolResult {
  const parts = [new vscode.LanguageModelTextPart(answerText(answer))];
  const structured = answer.ocr ?? answer.found;
  if (structured) parts.push(new vscode.LanguageModelTextPart(JSON.stringify(structured)));
  return new vscode.LanguageModelToolResult(parts);
}

/** The image as the call names it; the input is not checked yet (prepareInvocation comes first). */
function imageNamed(input: unknown): string {
  const given = (input ?? {}) as Record<string, unknown>;
  if (typeof given.image === 'string') return given.image;
  if (typeof given.document === 'string') return `the image on line ${String(given.line)} of ${given.document}`;
  if (typeof given.imageData === 'string') return 'an image given as data';
  return 'an image';
}

/** Where the image goes: the user confirms sending it to a server knowing which host gets it. */
function whereItGoes(tool: AgentToolName, image: string): string {
  if (tool === 'loupe_read_image_text') return `OCR on this machine reads ${image}; nothing leaves the machine.`;
  const source = answerSource();
  if (source.kind === 'local') return `The model on this machine looks at ${image}; nothing leaves the machine.`;
  if (source.kind === 'missing-server') return `loupe.answerFrom names the model server "${source.name}", which is not in loupe.endpoints: the call will fail.`;
  return `${image} is sent to the model server "${source.endpoint.name}" at ${serverHost(source.endpoint.baseUrl)}.`;
}

function serverHost(baseUrl: string): string {
  try {
    return endpointLocation({ baseUrl }).host;
  } catch {
    // A refused URL fails the call itself, with the reason; here it is only named.
    return baseUrl;
  }
}
