/**
 * `loupe chat <image>`: questions about one image, one per line from stdin (with a prompt when
 * stdin is a terminal), each answer streamed and the conversation kept, so the engine reuses the
 * image's encoding and the conversation's state and a follow-up costs only its own tokens.
 */
import { safeText } from '../protocol/safeText';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { ChatTurn, GenerationStats } from '../protocol/engine';
import { PRESET_NAMES, type PresetName } from '../protocol/options';
import { DEFAULT_ALT_MAX_LENGTH } from '../protocol/altTextDefaults';
import { taskRequest } from '../client/taskPolicy';
import { admitImage, checkQuestion, stopOnInterrupt, visionModelFor, withEngine } from './engineSession';
import { preset } from './optionParsers';
import { withRemoteFlags, type RemoteFlags } from './remoteFlags';
import { answerPrinter, phaseAnnouncer } from './terminalOutput';
import { samplingOverrides, withSamplingFlags, type SamplingFlags } from './samplingFlags';

interface ChatFlags extends RemoteFlags, SamplingFlags {
  model?: string;
  preset: PresetName;
  json?: boolean;
  ocr?: boolean;
}

function statsLine(stats: GenerationStats): string {
  const reuse = stats.cache === 'conversation' ? 'conversation reused' : stats.cache === 'vision' ? 'image encoding reused' : 'nothing reused';
  return `time to first token ${Math.round(stats.timeToFirstTokenMs)} ms · ${stats.generatedTokens} tokens · ${stats.tokensPerSecond.toFixed(1)} tok/s · ${reuse}`;
}

async function runChat(imagePath: string, flags: ChatFlags): Promise<number> {
  const path = resolve(imagePath);
  const asked = taskRequest('question', { preset: flags.preset, sampling: samplingOverrides(flags), ocrGrounding: flags.ocr !== false, altTextMaxLength: DEFAULT_ALT_MAX_LENGTH });
  return withEngine(async (engine) => {
    await admitImage(engine, path);
    // Read stdin only once the model is chosen: choosing may prompt for a server's key.
    const model = await visionModelFor(flags, engine);
    const interactive = process.stdin.isTTY === true;
    const lines = createInterface({ input: process.stdin, output: interactive ? process.stderr : undefined, terminal: interactive });
    if (interactive) {
      lines.setPrompt('you> ');
      lines.prompt();
    }
    const history: ChatTurn[] = [];
    const announce = phaseAnnouncer();
    for await (const line of lines) {
      const question = line.trim();
      if (question) {
        checkQuestion(question);
        const printer = answerPrinter();
        const job = model.ask(
          { ...asked, question, history, image: { kind: 'path', path } },
          { onToken: (piece) => !flags.json && printer.write(piece), onProgress: announce },
        );
        stopOnInterrupt(job);
        const { text, stopReason, stats } = await job.result;
        if (flags.json) process.stdout.write(`${JSON.stringify({ question, text: safeText(text), cancelled: stopReason === 'stopped', stopReason, stats })}\n`);
        else printer.end();
        process.stderr.write(`${statsLine(stats)}\n`);
        if (stopReason === 'stopped') break;
        history.push({ role: 'user', text: question, task: 'question' }, { role: 'assistant', text });
      }
      if (interactive) lines.prompt();
    }
    lines.close();
  });
}

export function registerChatCommand(program: Command): void {
  withSamplingFlags(withRemoteFlags(program.command('chat').argument('<image>')))
    .option('-m, --model <dir|id>', 'model folder or installed model id (default: $LOUPE_MODEL, then the default model)')
    .option('-p, --preset <name>', `speed/detail preset: ${PRESET_NAMES.join(', ')}`, preset, 'balanced')
    .option('--no-ocr', 'do not give OCR text to the model')
    .option('--json', 'one JSON object per answer: question, text, stats (time to first token, tokens, tok/s, cache)')
    .description('ask several questions about one image, one per line on stdin, keeping the conversation')
    .action(async (image: string, flags: ChatFlags) => {
      process.exitCode = await runChat(image, flags);
    });
}
