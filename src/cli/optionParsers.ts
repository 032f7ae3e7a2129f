import { InvalidArgumentError } from 'commander';
import { PRESET_NAMES, type PresetName } from '../protocol/options';

/** commander argument parsers: a bad value is a usage error (exit 2), never a crash later. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive whole number.');
  return n;
}

export function preset(value: string): PresetName {
  if (!(PRESET_NAMES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`must be one of ${PRESET_NAMES.join(', ')}.`);
  }
  return value as PresetName;
}

