/**
 * `loupe ask|describe|alt|ocr`: one image (or a region of it, or two images compared), one answer,
 * streamed to stdout; timing goes to stderr so stdout stays clean for pipes.
 */
import { safeText } from '../protocol/safeText';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { PixelDiff, Region } from '../protocol/engine';
import { PRESET_NAMES, type PresetName } from '../protocol/options';
import { DEFAULT_ALT_MAX_LENGTH } from '../protocol/altTextDefaults';
import { finishAnswer, taskRequest } from '../client/taskPolicy';
import { preset, region, tokenCount } from './optionParsers';
import { changesLine, pixelChanges, secondImageAndQuestion } from './imageComparison';
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
  region?: Region;
}

const REGION_HELP = 'ask about this part of the image only, seen at its own resolution (pixels of the image as shown, e.g. 0,0,640,360)';

function withAskFlags(command: Command): Command {
  return withSamplingFlags(withRemoteFlags(command))
    .option('-m, --model <dir|id>', 'model folder or installed model id (default: $LOUPE_MODEL, then the default model)')
    .option('-p, --preset <name>', `speed/detail preset: ${PRESET_NAMES.join(', ')}`, preset, 'balanced')
    .option('--max-new-tokens <n>', 'longest answer, in tokens (at most 4,096)', tokenCount)
    .option('--no-ocr', 'do not give OCR text to the local model')
    .option('--region <x,y,w,h>', REGION_HELP, region)
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

/** With a second image, the pixel diff comes first: unchanged pixels need no model, changed ones are named to it. */
async function runAsk(task: Task, imagePath: string, question: string, flags: AskFlags, secondPath?: string): Promise<number> {
  const path = resolve(imagePath);
  const second = secondPath === undefined ? undefined : ({ kind: 'path', path: resolve(secondPath) } as const);
  return withEngine(async (engine) => {
    checkQuestion(question);
    await admitImage(engine, path);
    if (second) await admitImage(engine, second.path);
    let diff: PixelDiff | undefined;
    if (second) {
      diff = await pixelChanges(engine, { kind: 'path', path }, second);
      if (diff.changedPixels === 0) {
        process.stdout.write(flags.json ? `${JSON.stringify({ changed: false, diff }, null, 2)}\n` : 'No pixel changed.\n');
        return;
      }
      process.stderr.write(`${changesLine(diff)}\n`);
    }
    const policy = { preset: flags.preset, sampling: samplingOverrides(flags), ocrGrounding: flags.ocr !== false, altTextMaxLength: DEFAULT_ALT_MAX_LENGTH, maxNewTokens: flags.maxNewTokens };
    const model = await visionModelFor(flags, engine);
    // Alt text is post-processed as a whole (one sentence, length cap), so it is not streamed.
    const stream = !flags.json && task !== 'alt-text';
    const printer = answerPrinter();
    const job = model.ask(
      { ...taskRequest(task, policy), question, image: { kind: 'path', path }, region: flags.region, secondImage: second, changes: diff?.boxes },
      {
        onToken: (piece) => stream && printer.write(piece),
        // Loading a real model takes seconds; say so rather than sit silent.
        onProgress: phaseAnnouncer(),
      },
    );
    stopOnInterrupt(job);
    const { stats, stopReason, ...answer } = await job.result;
    const text = safeText(finishAnswer(task, answer.text, stopReason, policy));
    const asked = { ...(flags.region && { region: flags.region }), ...(diff && { changed: true, diff }) };
    if (flags.json) process.stdout.write(`${JSON.stringify({ text, cancelled: stopReason === 'stopped', stopReason, stats, ...asked }, null, 2)}\n`);
    else if (stream) printer.end();
    else process.stdout.write(`${text}\n`);
    process.stderr.write(`${formatStats(stats)}\n`);
  });
}

function runOcr(imagePath: string, flags: { json?: boolean; region?: Region }): Promise<number> {
  const path = resolve(imagePath);
  return withEngine(async (engine) => {
    await admitImage(engine, path);
    // With a region, the boxes are still in the whole image's pixels.
    const job = engine.ocr({ kind: 'path', path }, flags.region);
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
  withAskFlags(program.command('ask').argument('<image>').argument('<question...>', 'the question; before it, a second image to compare the first with'))
    .usage('[options] <image> [second-image] <question>')
    .description('ask a question about an image, or about what changed between two images')
    .action(async (image: string, words: string[], flags: AskFlags, command: Command) => {
      const { secondImage, question } = secondImageAndQuestion(words, command, flags.region);
      process.exitCode = await runAsk('question', image, question ?? '', flags, secondImage);
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
    .option('--region <x,y,w,h>', 'read this part of the image only; boxes stay in the whole image\'s pixels', region)
    .description('read the text in an image (no model download needed)')
    .action(async (image: string, flags: { json?: boolean; region?: Region }) => {
      process.exitCode = await runOcr(image, flags);
    });
}
