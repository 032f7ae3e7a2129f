/**
 * `loupe find <image> <what>`: where the model sees it, as boxes in the image's pixels ("2 found"
 * and a list, or `--json`). The local engine holds the answer to the box grammar and reads it; a
 * server's answer is read here with the same strict reader (src/protocol/findBoxes.ts).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { PRESET_NAMES, type PresetName } from '../protocol/options';
import type { Region } from '../protocol/engine';
import { DEFAULT_ALT_MAX_LENGTH } from '../protocol/altTextDefaults';
import { FIND_NEEDS_WORDS, FIND_PROBLEM_TEXT, foundIn, type FindResult } from '../protocol/findBoxes';
import { safeText } from '../protocol/safeText';
import { taskRequest } from '../client/taskPolicy';
import { checkQuestion, stopOnInterrupt, visionModelFor, withEngine } from './engineSession';
import { CliError } from './cliErrors';
import { preset, region, tokenCount } from './optionParsers';
import { withRemoteFlags, type RemoteFlags } from './remoteFlags';
import { samplingOverrides, withSamplingFlags, type SamplingFlags } from './samplingFlags';
import { phaseAnnouncer } from './terminalOutput';

interface FindFlags extends RemoteFlags, SamplingFlags {
  model?: string;
  preset: PresetName;
  maxNewTokens?: number;
  region?: Region;
  json?: boolean;
}

/** "2 found" and one line per box: label, then x,y,w,h in pixels; a cut list says so; an unreadable answer: why, and the model's words. */
export function formatFound(result: FindResult, answer: string): string {
  const lines = [`${result.boxes.length} found`];
  for (const box of result.boxes) lines.push(`  ${safeText(box.label)}: ${box.x},${box.y},${box.width},${box.height}`);
  if (!result.problem) return lines.join('\n');
  // A cut list's last words are the limit's, not the model's: not shown as its answer.
  if (result.problem === 'cut-short') lines.push('The token limit cut the list: there may be more (raise --max-new-tokens).');
  else lines.push(`No boxes: ${FIND_PROBLEM_TEXT[result.problem]}. The model answered:`, safeText(answer));
  return lines.join('\n');
}

async function runFind(imagePath: string, what: string, flags: FindFlags): Promise<number> {
  const path = resolve(imagePath);
  return withEngine(async (engine) => {
    checkQuestion(what);
    // The engine says the same; a model server would be sent "detect the ." instead.
    if (!what.trim()) throw new CliError(FIND_NEEDS_WORDS);
    const image = await engine.inspect({ kind: 'path', path }).result;
    const policy = { preset: flags.preset, sampling: samplingOverrides(flags), ocrGrounding: false, altTextMaxLength: DEFAULT_ALT_MAX_LENGTH, maxNewTokens: flags.maxNewTokens };
    const model = await visionModelFor(flags, engine);
    const job = model.ask({ ...taskRequest('find', policy), question: what, image: { kind: 'path', path }, region: flags.region }, { onProgress: phaseAnnouncer() });
    stopOnInterrupt(job);
    const { text, stopReason, stats, find } = await job.result;
    // The size the boxes are in: the engine's decoded image (an SVG renders larger than it declares), or the checked size for a server's answer.
    const result = foundIn(find, text, image);
    if (flags.json) {
      const boxes = result.boxes.map((box) => ({ ...box, label: safeText(box.label) }));
      const shown = { found: boxes.length, boxes, ...(result.problem && { problem: result.problem }), image: result.image, text: safeText(text), stopReason, stats };
      process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    } else {
      process.stdout.write(`${formatFound(result, text)}\n`);
    }
  });
}

export function registerFindCommand(program: Command): void {
  withSamplingFlags(withRemoteFlags(program.command('find').argument('<image>').argument('<what>', 'what to look for, e.g. "the Save button"')))
    .option('-m, --model <dir|id>', 'model folder or installed model id (default: $LOUPE_MODEL, then the default model)')
    .option('-p, --preset <name>', `speed/detail preset: ${PRESET_NAMES.join(', ')}`, preset, 'balanced')
    .option('--max-new-tokens <n>', 'longest answer, in tokens (at most 4,096)', tokenCount)
    .option('--region <x,y,w,h>', 'look only in this part of the image, seen at its own resolution; boxes stay in the whole image\'s pixels', region)
    .option('--json', 'print one JSON object: the boxes (x, y, width, height in image pixels), the answer and timings')
    .description('find things in an image: boxes with labels, in image pixels (LFM2-VL models)')
    .action(async (image: string, what: string, flags: FindFlags) => {
      process.exitCode = await runFind(image, what, flags);
    });
}
