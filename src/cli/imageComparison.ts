/**
 * Two images on the command line (`loupe ask a.png b.png "what changed?"`, `loupe prompt a.png b.png …`):
 * which argument is which, the pixel diff the engine makes first, and how its boxes are shown.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { formatForFileName } from '../protocol/imageFormats';
import type { EngineClient } from '../client/engineClient';
import { formatRegion, type ImageInput, type PixelDiff, type Region } from '../protocol/engine';
import { EXIT } from './cliErrors';
import { stopOnInterrupt } from './engineSession';

/** The words after the first image: `[question]` or `[second image, question]`; more, or a region with two images, is a usage error. */
export function secondImageAndQuestion(words: string[], command: Command, region: Region | undefined): { secondImage?: string; question?: string } {
  if (words.length > 2) {
    command.error('error: too many arguments: give an image, optionally a second image to compare it with, then the question in quotes.', { exitCode: EXIT.badInput });
  }
  if (words.length === 2 && region) {
    command.error('error: --region applies to one image; it cannot be combined with a second image.', { exitCode: EXIT.badInput });
  }
  const [only] = words;
  // `loupe ask a.png b.png` with no question: b.png would be asked as the question.
  if (words.length === 1 && formatForFileName(only!) && existsSync(only!)) {
    command.error(`error: ${only} is an image: to compare it with the first, put the question after it, in quotes.`, { exitCode: EXIT.badInput });
  }
  return words.length === 2 ? { secondImage: words[0], question: words[1] } : { question: only };
}

/** Where the second image differs from the first, in the first's pixels. */
export async function pixelChanges(engine: EngineClient, first: ImageInput, second: ImageInput): Promise<PixelDiff> {
  const job = engine.diff(first, second);
  stopOnInterrupt(job);
  return job.result;
}

/** One line for stderr: how many regions changed and where. */
export function changesLine(diff: PixelDiff): string {
  const alignment = diff.alignment === 'scaled' ? ', the second image scaled to the first' : diff.alignment === 'top-left' ? ', laid over each other at the top-left corner' : '';
  const regions = `${diff.boxes.length} changed region${diff.boxes.length === 1 ? '' : 's'}`;
  return `${regions} (x,y,w,h in pixels of the first image${alignment}): ${diff.boxes.map(formatRegion).join('; ')}`;
}
