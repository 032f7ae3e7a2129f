import { InvalidArgumentError } from 'commander';
import { MAX_NEW_TOKENS, PRESET_NAMES, type PresetName } from '../protocol/options';

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

