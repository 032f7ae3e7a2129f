import { InvalidArgumentError } from 'commander';
import { MAX_NEW_TOKENS, PRESET_NAMES, type PresetName } from '../protocol/options';
import { RegionSchema, type Region } from '../protocol/engine';

/** commander argument parsers: a bad value is a usage error (exit 2), never a crash later. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number.');
  return n;
}

/** An answer length: refused here, with the limit named, rather than deep in the engine. */
export function tokenCount(value: string): number {
  const n = positiveInt(value);
  if (n > MAX_NEW_TOKENS) throw new InvalidArgumentError(`must be at most ${MAX_NEW_TOKENS.toLocaleString('en')}.`);
  return n;
}

export function preset(value: string): PresetName {
  if (!(PRESET_NAMES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${PRESET_NAMES.join(', ')}.`);
  }
  return value as PresetName;
}


/** `--region x,y,w,h`: whole pixels, width and height at least 1; whether it fits the image is the engine's to say. */
export function region(value: string): Region {
  const parts = value.split(',').map((part) => part.trim());
  const numbers = parts.map(Number);
  const parsed = RegionSchema.safeParse({ x: numbers[0], y: numbers[1], width: numbers[2], height: numbers[3] });
  if (parts.length !== 4 || parts.some((part) => part === '') || !parsed.success) {
    throw new InvalidArgumentError('must be x,y,w,h in whole pixels (x and y from 0, w and h at least 1), e.g. 0,0,640,360.');
  }
  return parsed.data;
}
