/**
 * `loupe alt-text check|fix`: the accessibility check for CI and the batch fixer, without VS Code.
 */
import { safeText } from '../protocol/safeText';
import type { Command } from 'commander';
import { displayPath, runCheck } from '../altText/cliCheck';
import { altTextGeneratorFor } from '../client/visionModel';
import { fixPaths } from '../altText/cliFix';
import { DEFAULT_ALT_MAX_LENGTH } from '../protocol/altTextDefaults';
import type { PresetName } from '../protocol/options';
import { EXIT } from './cliErrors';
import { visionModelFor, withEngine } from './engineSession';
import { positiveInt, preset } from './optionParsers';
import { withRemoteFlags, type RemoteFlags } from './remoteFlags';

import { samplingOverrides, withSamplingFlags, type SamplingFlags } from './samplingFlags';

interface FixFlags extends RemoteFlags, SamplingFlags {
  dryRun?: boolean;
  model?: string;
  preset: PresetName;
  maxLength: number;
  language?: string;
  allowImagesFrom: string[];
  /** False with --no-records. */
  records: boolean;
}

export function registerAltTextCommands(program: Command): void {
  const altText = program.command('alt-text').description('find and fix images without useful alt text');

  altText
    .command('check')
    .argument('<paths...>', 'files, folders or globs (Markdown, MDX, HTML, JSX, TSX)')
    .description('print path:line:col: message for each image lacking useful alt text; exit 1 if any')
    .action(async (paths: string[]) => {
      const report = await runCheck(paths, process.cwd());
      for (const line of report.lines) process.stdout.write(`${safeText(line)}\n`);
      process.stderr.write(`${report.findings.length} image(s) need alt text in ${report.files.length} file(s)\n`);
      process.exitCode = report.exitCode;
    });

  withSamplingFlags(withRemoteFlags(altText.command('fix').argument('<paths...>', 'files, folders or globs'), { concurrency: true }))
    .option('--dry-run', 'show a unified diff instead of writing')
    .option('-m, --model <dir|id>', 'model folder or installed model id')
    .option('-p, --preset <name>', 'speed/detail preset', preset, 'fast')
    .option('--max-length <n>', 'longest alt text, in characters', positiveInt, DEFAULT_ALT_MAX_LENGTH)
    .option('--language <code>', 'language of the alt text, e.g. en, de')
    .option('--allow-images-from <folder>', 'also read images from this folder outside the current one (repeatable); others are skipped', (folder: string, folders: string[]) => [...folders, folder], [])
    .option('--no-records', 'do not create or update .loupe/alt-text.json (the record of what Loupe wrote, for stale alt text warnings)')
    .description('write generated alt text into the documents (review with --dry-run first); exit 2 if a file was left unchanged')
    .action(async (paths: string[], flags: FixFlags) => {
      const cwd = process.cwd();
      let problems = 0;
      const exitCode = await withEngine(async (engine) => {
        const model = await visionModelFor(flags, engine);
        const generator = altTextGeneratorFor({
          model: async () => model,
          concurrency: model.concurrency,
          settings: () => ({ preset: flags.preset, sampling: samplingOverrides(flags), ocrGrounding: true }),
        });
        const result = await fixPaths(
          paths,
          generator,
          {
            cwd,
            dryRun: flags.dryRun,
            maxLength: flags.maxLength,
            language: flags.language,
            imageFolders: flags.allowImagesFrom,
            writeRecords: flags.records,
            onProgress: ({ done, total, fromCache }) =>
              process.stderr.write(`\r${done}/${total} images${fromCache ? ' (cached)' : ''}   `),
          },
        );
        process.stderr.write('\n');
        if (flags.dryRun) process.stdout.write(safeText(result.diff));
        for (const skip of result.skipped) process.stderr.write(`${safeText(`${displayPath(skip.file, cwd)}:${skip.line}:${skip.column}: skipped: ${skip.reason}`)}\n`);
        for (const problem of result.problems) process.stderr.write(`${safeText(`${displayPath(problem.file, cwd)}:${problem.line}:${problem.column}: ${problem.message}`)}\n`);
        for (const warning of result.warnings) process.stderr.write(`loupe: warning: ${safeText(warning)}\n`);
        problems = result.problems.length;
        process.stderr.write(
          `${result.written} alt text(s) ${flags.dryRun ? 'would be written' : 'written'} in ${result.changedFiles.length} file(s); ` +
            `${result.generated} generated, ${result.fromCache} from cache` +
            `${problems > 0 ? `; ${problems} file(s) left unchanged (above)` : ''}\n`,
        );
      });
      // Files left unchanged are the user's to look at, like files check could not check.
      process.exitCode = exitCode === EXIT.ok && problems > 0 ? EXIT.badInput : exitCode;
    });
}
