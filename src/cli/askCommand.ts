/**
 * `loupe ask|describe|alt|ocr`: one image, one answer, streamed to stdout; timing goes to stderr so
 * stdout stays clean for pipes.
 */
import { safeText } from '../protocol/safeText';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { PRESET_NAMES, type PresetName } from '../protocol/options';
import { DEFAULT_ALT_MAX_LENGTH } from '../protocol/altTextDefaults';
import { finishAnswer, taskRequest } from '../client/taskPolicy';
import { preset, tokenCount } from './optionParsers';
import type { Task } from '../protocol/tasks';
import type { GenerationStats } from '../protocol/engine';
import { admitImage, checkQuestion, stopOnInterrupt, visionModelFor, withEngine } from './engineSession';
import { withRemoteFlags, type RemoteFlags } from './remoteFlags';
import { answerPrinter, phaseAnnouncer } from './terminalOutput';
import { samplingOverrides, withSamplingFlags, type SamplingFlags } from './samplingFlags';

interface AskFlags extends RemoteFlags, SamplingFlags {
  model?: string;
  preset: PresetName;
  maxNewTokens?: number;
  json?: boolean;
  ocr?: boolean;
}

function withAskFlags(command: Command): Command {
  return withSamplingFlags(withRemoteFlags(command))
    .option('-m, --model <dir|id>', 'model folder or installed model id (default: $LOUPE_MODEL, then the default model)')
    .option('-p, --preset <name>', `speed/detail preset: ${PRESET_NAMES.join(', ')}`, preset, 'balanced')
    .option('--max-new-tokens <n>', 'longest answer, in tokens (at most 4,096)', tokenCount)
    .option('--no-ocr', 'do not give OCR text to the local model')
    .option('--json', 'print one JSON object with the answer and timings instead of streaming');
}

function formatStats(stats: GenerationStats): string {
  const parts = [
    `time to first token ${Math.round(stats.timeToFirstTokenMs)} ms`,
    `${stats.generatedTokens} tokens`,
    `${stats.tokensPerSecond.toFixed(1)} tok/s`,
    `${stats.imageTokens} image tokens in ${stats.tiles} tile${stats.tiles === 1 ? '' : 's'}`,
  ];
  if (stats.ocrMs !== undefined) parts.push(`OCR ${Math.round(stats.ocrMs)} ms`);
  return parts.join(' · ');
}

async function runAsk(task: Task, imagePath: string, question: string, flags: AskFlags): Promise<number> {
  const path = resolve(imagePath);
  return withEngine(async (engine) => {
    checkQuestion(question);
    await admitImage(engine, path);
    const policy = { preset: flags.preset, sampling: samplingOverrides(flags), ocrGrounding: flags.ocr !== false, altTextMaxLength: DEFAULT_ALT_MAX_LENGTH, maxNewTokens: flags.maxNewTokens };
    const model = await visionModelFor(flags, engine);
    // Alt text is post-processed as a whole (one sentence, length cap), so it is not streamed.
    const stream = !flags.json && task !== 'alt-text';
    const printer = answerPrinter();
    const job = model.ask(
      { ...taskRequest(task, policy), question, image: { kind: 'path', path } },
      {
        onToken: (piece) => stream && printer.write(piece),
        // Loading a real model takes seconds; say so rather than sit silent.
        onProgress: phaseAnnouncer(),
      },
    );
    stopOnInterrupt(job);
    const { stats, stopReason, ...answer } = await job.result;
    const text = safeText(finishAnswer(task, answer.text, stopReason, policy));
    if (flags.json) process.stdout.write(`${JSON.stringify({ text, cancelled: stopReason === 'stopped', stopReason, stats }, null, 2)}\n`);
    else if (stream) printer.end();
    else process.stdout.write(`${text}\n`);
    process.stderr.write(`${formatStats(stats)}\n`);
  });
}

function runOcr(imagePath: string, flags: { json?: boolean }): Promise<number> {
  const path = resolve(imagePath);
  return withEngine(async (engine) => {
    await admitImage(engine, path);
    const job = engine.ocr({ kind: 'path', path });
    stopOnInterrupt(job);
    const result = await job.result;
    if (flags.json) {
      for (const line of result.lines) process.stdout.write(`${JSON.stringify({ ...line, text: safeText(line.text) })}\n`);
    } else {
      process.stdout.write(`${safeText(result.text)}\n`);
    }
    process.stderr.write(`${result.lines.length} lines · OCR ${Math.round(result.ms)} ms\n`);
  });
}

export function registerAskCommands(program: Command): void {
  withAskFlags(program.command('ask').argument('<image>').argument('<question>'))
    .description('ask a question about an image')
    .action(async (image: string, question: string, flags: AskFlags) => {
      process.exitCode = await runAsk('question', image, question, flags);
    });
  withAskFlags(program.command('describe').argument('<image>'))
    .description('describe an image (screenshot, diagram, chart)')
    .action(async (image: string, flags: AskFlags) => {
      process.exitCode = await runAsk('explain-screenshot', image, '', flags);
    });
  withAskFlags(program.command('alt').argument('<image>'))
    .description('write one sentence of alt text for an image')
    .action(async (image: string, flags: AskFlags) => {
      process.exitCode = await runAsk('alt-text', image, '', flags);
    });
  program
    .command('ocr')
    .argument('<image>')
    .option('--json', 'one JSON object per line: text, confidence, box, block')
    .description('read the text in an image (no model download needed)')
    .action(async (image: string, flags: { json?: boolean }) => {
      process.exitCode = await runOcr(image, flags);
    });
}
