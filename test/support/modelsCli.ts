import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { registerModelsCommand } from '../../src/cli/modelsCommand';

/** Runs `loupe models …` in-process with captured output and exit code. */
export async function runModelsCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ out: string; err: string; code: number }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  let code = 0;
  const program = new Command('loupe').exitOverride();
  registerModelsCommand(program, { env, stdout, stderr, setExitCode: (c) => (code = c) });
  await program.parseAsync(['node', 'loupe', ...args]);
  return { out, err, code };
}
