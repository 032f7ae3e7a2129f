/**
 * `--temperature`, `--min-p`, `--repetition-penalty`, `--seed`: overrides of the model card's
 * sampling (src/protocol/options.ts) for ask, describe, alt, chat and alt-text fix. `--temperature 0`
 * decodes greedily. Out-of-range values are usage errors (exit 2), checked by the protocol's schema.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { SamplingSchema, type Sampling } from '../protocol/options';

export interface SamplingFlags {
  temperature?: number;
  minP?: number;
  repetitionPenalty?: number;
  seed?: number;
}

function field<K extends keyof Sampling>(key: K): (value: string) => number {
  return (value) => {
    const parsed = SamplingSchema.shape[key].safeParse(Number(value));
    if (!parsed.success || value.trim() === '') throw new InvalidArgumentError(parsed.success ? 'must be a number.' : parsed.error.issues[0]!.message);
    return parsed.data as number;
  };
}

export function withSamplingFlags(command: Command): Command {
  return command
    .option('--temperature <t>', "sampling temperature, 0 to 2; 0 picks the most likely token every time (default: the model card's)", field('temperature'))
    .option('--min-p <p>', "keep only tokens at least p times as likely as the likeliest, 0 to 1 (default: the model card's)", field('minP'))
    .option('--repetition-penalty <r>', "penalty for tokens already in the conversation, 1 to 2 (default: the model card's)", field('repetitionPenalty'))
    .option('--seed <n>', 'seed of the sampler: the same seed gives the same answer (default: 0)', field('seed'));
}

/** The flags the user gave, as the request's sampling overrides. */
export function samplingOverrides(flags: SamplingFlags): Sampling {
  const { temperature, minP, repetitionPenalty, seed } = flags;
  return Object.fromEntries(Object.entries({ temperature, minP, repetitionPenalty, seed }).filter(([, value]) => value !== undefined));
}
