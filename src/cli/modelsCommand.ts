/**
 * `loupe models list | download | import | precision | remove`: choose, fetch and manage models
 * from a terminal. Models live in `$LOUPE_HOME/models` (default `~/.cache/loupe/models`, or `--dir`).
 * Downloads show a progress bar on stderr, stop cleanly on Ctrl-C (part files are kept and the
 * next run resumes), and refuse LFM-licensed models until `--accept-license` is given.
 */
import type { Command } from 'commander';
import { safeText } from '../protocol/safeText';
import { listManifests, findManifest, getManifest, DEFAULT_MODEL_ID } from '../catalog/catalog';
import { firstRunText, licenseText, modelChoices, UNPROVEN_NOTE } from '../store/choice';
import { downloadModel } from '../store/download';
import { isModelError, ModelError, type ModelErrorCode } from '../modelFolder/modelErrors';
import { DEFAULT_HUB_ENDPOINT } from '../store/hubClient';
import { importModelFolder } from '../store/importFolder';
import type { InstalledMarker } from '../modelFolder/installedMarker';
import type { ModelManifest } from '../catalog/manifest';
import { describeProgress, percent, progressBar, type DownloadProgress } from '../store/progress';
import { formatBytes } from '../protocol/byteSizes';
import { cliStorageDir } from '../store/storageDir';
import { deleteModel, findInstalled, listInstalled, partialDownloadBytes, selectPrecision } from '../store/store';

export interface ModelsCommandContext {
  /** Overrides `--dir`, `$LOUPE_HOME` and the default. */
  storageDir?: string;
  env?: NodeJS.ProcessEnv;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
  setExitCode?(code: number): void;
  /** Download redirect allow list; derived from the endpoint when omitted. */
  allowedHosts?: string[];
}

export const MODELS_EXIT = { ok: 0, failure: 1, badInput: 2, cancelled: 130 } as const;

const BAD_INPUT: ModelErrorCode[] = ['UNKNOWN_MODEL', 'UNPROVEN_PRECISION', 'LICENSE_NOT_ACCEPTED', 'INVALID_MODEL', 'NOT_INSTALLED', 'MANIFEST_INVALID', 'NO_SPACE', 'LOCKED'];

interface DirOption {
  dir?: string;
}

export function registerModelsCommand(program: Command, context: ModelsCommandContext = {}): Command {
  const env = context.env ?? process.env;
  const stdout = context.stdout ?? process.stdout;
  const stderr = context.stderr ?? process.stderr;
  const setExitCode = context.setExitCode ?? ((code: number) => void (process.exitCode = code));
  const storageFor = (options: DirOption) => context.storageDir ?? options.dir ?? cliStorageDir(env);

  /** Runs an action; model errors become a message on stderr and an exit code. */
  const run = <A extends unknown[]>(action: (...args: A) => Promise<void>) => async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      if (!isModelError(error)) throw error;
      // Messages name files and links from the user's folders and quote the hub: text only.
      stderr.write(`loupe: ${safeText(error.message)}\n`);
      // The technical account (request, error codes, proxy), indented under the message.
      if (error.details) stderr.write(`${safeText(error.details).replace(/^/gm, '  ')}\n`);
      setExitCode(error.code === 'CANCELLED' ? MODELS_EXIT.cancelled : BAD_INPUT.includes(error.code) ? MODELS_EXIT.badInput : MODELS_EXIT.failure);
    }
  };

  const models = program
    .command('models')
    .description(`list, download, import and remove models (stored in $LOUPE_HOME/models or ~/.cache/loupe/models)`)
    .option('--dir <path>', 'model storage folder');

  models
    .command('list')
    .description('show the models Loupe offers: installed or not, size, license')
    .option('--json', 'print machine-readable JSON')
    .action(
      run(async (options: { json?: boolean }, command: Command) => {
        const storageDir = storageFor(command.optsWithGlobals<DirOption>());
        const installed = await listInstalled(storageDir);
        const choices = modelChoices(listManifests(), installed);
        const imported = installed.filter((model) => !findManifest(model.modelId));
        if (options.json) {
          stdout.write(`${JSON.stringify({ storageDir, models: choices, imported: imported.map((m) => ({ id: m.modelId, dir: m.dir, marker: m.marker })) }, null, 2)}\n`);
          return;
        }
        if (installed.length === 0) {
          stdout.write(firstRunText(choices));
          stdout.write(`\nModels are stored in ${storageDir}.\n`);
          return;
        }
        stdout.write(`Models in ${storageDir}:\n`);
        const rows = [['', 'ID', 'STATUS', 'SIZE', 'LICENSE']];
        for (const choice of choices) {
          const partial = choice.installed ? 0 : await partialDownloadBytes(storageDir, choice.id);
          const others = choice.installed?.precisions.filter((p) => p !== choice.installed?.precision) ?? [];
          const status = choice.installed
            ? `installed (${choice.installed.precision}${others.length > 0 ? `; also ${others.join(', ')}` : ''}, ${choice.installed.revision.slice(0, 12)})`
            : partial > 0
              ? `partial download (${formatBytes(partial)}; download again to resume)`
              : `not installed${choice.unproven ? ` ${UNPROVEN_NOTE}` : ''}`;
          rows.push([choice.recommended ? '*' : '', choice.id, status, choice.unproven && !choice.installed ? 'not offered' : choice.sizeText, licenseText(choice.license)]);
        }
        for (const model of imported) rows.push(['', model.modelId, `imported (${model.marker.precision})`, '', model.marker.license.name]);
        stdout.write(table(rows));
        stdout.write('* recommended. Download: loupe models download <id>   Import a folder: loupe models import <folder>\n');
        for (const choice of choices.filter((c) => c.unproven && !c.installed)) stdout.write(`${choice.id} ${UNPROVEN_NOTE}: ${choice.unproven}\n`);
      }),
    );

  models
    .command('download')
    .description('download a model once (resumable, verified); default: the recommended model')
    .argument('[id]', 'model id from "loupe models list"', DEFAULT_MODEL_ID)
    .option('--precision <id>', 'precision to download (default: the model\'s recommended one)')
    .option('--accept-license', 'accept the model\'s license (required for LFM models)')
    .option('--token <token>', 'Hugging Face token for gated models (default: $HF_TOKEN)')
    .option('--endpoint <url>', `hub to download from (default: $HF_ENDPOINT or ${DEFAULT_HUB_ENDPOINT})`)
    .option('--proxy <url>', 'proxy URL (default: $HTTPS_PROXY / $HTTP_PROXY, honouring $NO_PROXY)')
    .action(
      run(async (id: string, options: { precision?: string; acceptLicense?: boolean; token?: string; endpoint?: string; proxy?: string }, command: Command) => {
        const manifest = getManifest(id);
        if (manifest.license.requiresAcceptance && !options.acceptLicense) {
          stderr.write(licenseExplanation(manifest));
          setExitCode(MODELS_EXIT.badInput);
          return;
        }
        const storageDir = storageFor(command.optsWithGlobals<DirOption>());
        const controller = new AbortController();
        const onInterrupt = () => controller.abort();
        process.once('SIGINT', onInterrupt);
        const bar = new TerminalProgress(stderr);
        try {
          stderr.write(`Downloading ${manifest.label} from ${manifest.hub.repo} (${manifest.hub.revisionKind} ${manifest.hub.revision.slice(0, 12)}) to ${storageDir}\n`);
          const outcome = await downloadModel({
            manifest,
            precision: options.precision,
            storageDir,
            endpoint: options.endpoint ?? env.HF_ENDPOINT,
            token: options.token ?? env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN,
            proxy: options.proxy,
            allowedHosts: context.allowedHosts,
            licenseAccepted: options.acceptLicense === true,
            signal: controller.signal,
            onProgress: (progress) => bar.update(progress),
          });
          bar.finish();
          stdout.write(`Installed ${manifest.label} (${outcome.marker.precision}) in ${outcome.dir}\n`);
          if (outcome.marker.precisions.length > 1) stdout.write(precisionsText(manifest.id, outcome.marker.precision, outcome.marker.precisions));
        } catch (error) {
          bar.finish();
          throw error;
        } finally {
          process.removeListener('SIGINT', onInterrupt);
        }
      }),
    );

  models
    .command('import')
    .description('import a model folder you already have (works offline)')
    .argument('<folder>', 'folder with config.json, tokenizer files and onnx/')
    .option('--as <id>', 'model id to install it as (a listed id, or a new one; default: local-<folder name>)')
    .option('--accept-license', 'accept the model\'s license (required when importing as an LFM model)')
    .action(
      run(async (folder: string, options: { as?: string; acceptLicense?: boolean }, command: Command) => {
        const manifest = options.as ? findManifest(options.as) : undefined;
        if (manifest?.license.requiresAcceptance && !options.acceptLicense) {
          stderr.write(licenseExplanation(manifest, `loupe models import ${folder} --as ${manifest.id} --accept-license`));
          setExitCode(MODELS_EXIT.badInput);
          return;
        }
        const storageDir = storageFor(command.optsWithGlobals<DirOption>());
        const outcome = await importModelFolder({ source: folder, storageDir, modelId: options.as, licenseAccepted: options.acceptLicense === true });
        stdout.write(
          // The label comes from the imported folder's name: text only.
          safeText(outcome.alreadyImported
            ? `${outcome.marker.label} is already imported as ${outcome.marker.modelId} with the same content (SHA-256) in ${outcome.dir}`
            : `Imported ${outcome.marker.label} as ${outcome.marker.modelId} (copied, every file checked by SHA-256) into ${outcome.dir}`) + '\n',
        );
      }),
    );

  models
    .command('precision')
    .description('show the installed precisions of a model, or choose the one Loupe loads')
    .argument('<id>', 'installed model id')
    .argument('[precision]', 'installed precision to load from now on')
    .action(
      run(async (id: string, precision: string | undefined, _options: unknown, command: Command) => {
        const storageDir = storageFor(command.optsWithGlobals<DirOption>());
        const model = precision ? await selectPrecision(storageDir, id, precision) : await findInstalled(storageDir, id);
        if (!model) throw new ModelError('NOT_INSTALLED', `${id} is not installed in ${storageDir}.`);
        stdout.write(precisionsText(id, model.marker.precision, model.marker.precisions));
      }),
    );

  models
    .command('remove')
    .description('delete an installed model (all its revisions and partial downloads)')
    .argument('<id>', 'model id')
    .option('--revision <revision>', 'delete only this revision folder')
    .action(
      run(async (id: string, options: { revision?: string }, command: Command) => {
        const storageDir = storageFor(command.optsWithGlobals<DirOption>());
        const { removedBytes } = await deleteModel(storageDir, id, options.revision);
        stdout.write(`Removed ${id}${options.revision ? ` revision ${options.revision}` : ''} (${formatBytes(removedBytes)} freed).\n`);
      }),
    );

  return models;
}

function precisionsText(id: string, selected: string, precisions: InstalledMarker['precisions']): string {
  const lines = precisions.map((p) => {
    const dtypes = `vision ${p.dtype.vision_encoder}, embeddings ${p.dtype.embed_tokens}, decoder ${p.dtype.decoder_model_merged}`;
    return `${p.id === selected ? '*' : ' '} ${p.id.padEnd(10)} ${dtypes}`;
  });
  return `${lines.join('\n')}\n* loaded. Choose another: loupe models precision ${id} <precision>\n`;
}

function licenseExplanation(manifest: ModelManifest, acceptCommand = `loupe models download ${manifest.id} --accept-license`): string {
  return [
    `${manifest.label} is licensed under the ${manifest.license.name}, which you need to accept first.`,
    `  ${manifest.license.summary}`,
    `  Read it: ${manifest.license.url}`,
    'If you accept it, run:',
    `  ${acceptCommand}`,
    'Or choose SmolVLM 256M (Apache-2.0): loupe models download smolvlm-256m',
    '',
  ].join('\n');
}

function table(rows: string[][]): string {
  const widths = (rows[0] as string[]).map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] as number)).join('  ').trimEnd()).join('\n') + '\n';
}

/** A redrawn bar on a terminal; a line per 10% (and per phase change) when stderr is a file or pipe. */
class TerminalProgress {
  private lastDraw = 0;
  private lastDecile = -1;
  private lastPhase = '';
  private drawn = false;

  constructor(private readonly out: NodeJS.WritableStream & { isTTY?: boolean }) {}

  update(progress: DownloadProgress): void {
    const line = `${progressBar(progress)} ${describeProgress(progress)}`;
    if (this.out.isTTY) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && progress.phase === this.lastPhase) return;
      this.lastDraw = now;
      this.lastPhase = progress.phase;
      this.out.write(`\r\x1b[2K${line}`);
      this.drawn = true;
      return;
    }
    const decile = Math.floor(percent(progress) / 10);
    const phaseChanged = progress.phase !== this.lastPhase && progress.phase !== 'verifying';
    if (decile === this.lastDecile && !phaseChanged) return;
    this.lastDecile = decile;
    this.lastPhase = progress.phase;
    this.out.write(`${line}\n`);
  }

  finish(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
