/**
 * `loupe prompt <image> [question]`: the exact input the model would get (chat template applied,
 * image tokens expanded with tile markers and thumbnail), without answering. Shows why an answer
 * missed a detail: how small the image became, how it was tiled, what OCR text went in.
 */
import { safeText } from '../protocol/safeText';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { formatRegion, type PixelDiff, type PromptPreview, type Region } from '../protocol/engine';
import { PRESET_NAMES, type PresetName } from '../protocol/options';
import { DEFAULT_ALT_MAX_LENGTH } from '../protocol/altTextDefaults';
import { taskRequest } from '../client/taskPolicy';
import { TASKS, type Task } from '../protocol/tasks';
import { admitImage, checkQuestion, stopOnInterrupt, withEngine } from './engineSession';
import { resolveCliModel } from './modelResolution';
import { preset, region } from './optionParsers';
import { changesLine, pixelChanges, secondImageAndQuestion } from './imageComparison';

interface PromptFlags {
  model?: string;
  preset: PresetName;
  task?: Task;
  ocr?: boolean;
  json?: boolean;
  region?: Region;
}

function task(value: string): Task {
  if (!(TASKS as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${TASKS.join(', ')}.`);
  return value as Task;
}

function summary(preview: PromptPreview): string {
  const { image, resized, grid, thumbnail, region: crop, secondImage } = preview;
  const lines = [crop ? `region ${formatRegion(crop)} of a ${crop.of.width}x${crop.of.height} image: ${image.width}x${image.height}` : `image ${image.width}x${image.height}`];
  if (secondImage) lines.push(`second image ${secondImage.width}x${secondImage.height}`);
  if (resized && grid) {
    const tiled = grid.rows * grid.cols > 1;
    lines.push(
      tiled
        ? `tiles ${grid.cols} wide x ${grid.rows} high of 512x512${thumbnail ? ` + thumbnail ${resized.width}x${resized.height}` : ''}`
        : `resized to ${resized.width}x${resized.height} (one tile)`,
    );
  }
  lines.push(`${preview.imageTokens} image tokens in ${preview.tiles} tile${preview.tiles === 1 ? '' : 's'}, ${preview.promptTokens} prompt tokens`);
  return lines.join('\n');
}

async function runPrompt(imagePath: string, question: string | undefined, flags: PromptFlags, secondPath?: string): Promise<number> {
  const path = resolve(imagePath);
  const second = secondPath === undefined ? undefined : ({ kind: 'path', path: resolve(secondPath) } as const);
  const chosenTask = flags.task ?? (question ? 'question' : 'explain-screenshot');
  const asked = taskRequest(chosenTask, { preset: flags.preset, ocrGrounding: flags.ocr !== false, altTextMaxLength: DEFAULT_ALT_MAX_LENGTH });
  return withEngine(async (engine) => {
    checkQuestion(question ?? '');
    await admitImage(engine, path);
    if (second) await admitImage(engine, second.path);
    // The prompt names the changed regions, so the diff is made as `ask` makes it.
    const diff: PixelDiff | undefined = second && (await pixelChanges(engine, { kind: 'path', path }, second));
    if (diff) process.stderr.write(`${changesLine(diff)}\n`);
    const modelDir = await resolveCliModel(flags.model);
    const job = engine.prompt({
      ...asked,
      modelDir,
      question: question ?? '',
      image: { kind: 'path', path },
      region: flags.region,
      secondImage: second,
      changes: diff?.boxes,
    });
    stopOnInterrupt(job);
    const preview = await job.result;
    // The prompt quotes OCR text and documents: text only on the terminal.
    const shown = { ...preview, text: safeText(preview.text), ...(diff && { diff }) };
    if (flags.json) process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    else process.stdout.write(`${shown.text}\n\n${summary(shown)}\n`);
  });
}

export function registerPromptCommand(program: Command): void {
  program
    .command('prompt')
    .argument('<image>')
    .argument('[question...]', 'the question (default: the explain-screenshot task); before it, a second image to compare the first with')
    .usage('[options] <image> [second-image] [question]')
    .option('-m, --model <dir|id>', 'model folder or installed model id (default: $LOUPE_MODEL, then the default model)')
    .option('-p, --preset <name>', `speed/detail preset: ${PRESET_NAMES.join(', ')}`, preset, 'balanced')
    .option('-t, --task <task>', `task whose prompt to show: ${TASKS.join(', ')}`, task)
    .option('--no-ocr', 'do not give OCR text to the model')
    .option('--region <x,y,w,h>', 'show the prompt for this part of the image (pixels of the image as shown)', region)
    .option('--json', 'print the prompt and its counts as one JSON object')
    .description('show the exact prompt the model would see for an image, without answering')
    .action(async (image: string, words: string[], flags: PromptFlags, command: Command) => {
      const { secondImage, question } = secondImageAndQuestion(words, command, flags.region);
      process.exitCode = await runPrompt(image, question, flags, secondImage);
    });
}
