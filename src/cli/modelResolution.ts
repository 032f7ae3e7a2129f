import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_MODEL_ID, findManifest, listManifests } from '../catalog/catalog';
import { firstRunText, modelChoices } from '../store/choice';
import { cliStorageDir } from '../store/storageDir';
import { listInstalled, resolveInstalledModelDir } from '../store/store';
import { CliError, EXIT } from './cliErrors';

/** Nothing is installed at all: a terminal gets the one-screen choice; `loupe mcp` tells the agent in one line. */
export class NoModelInstalled extends CliError {
  constructor() {
    super(firstRunText(modelChoices(listManifests(), [])), EXIT.badInput, true);
  }
}

/**
 * `--model` takes a folder or an installed model id; without it $LOUPE_MODEL, then the default
 * model. When nothing is installed the user gets the one-screen choice instead of a stack trace.
 */
export async function resolveCliModel(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const wanted = flag ?? env.LOUPE_MODEL ?? DEFAULT_MODEL_ID;
  const asFolder = resolve(wanted);
  if (existsSync(asFolder) && statSync(asFolder).isDirectory()) {
    if (!existsSync(join(asFolder, 'config.json'))) throw new CliError(`${wanted} is a folder but not a model (no config.json).`);
    return asFolder;
  }
  const storage = cliStorageDir(env);
  const installedDir = await resolveInstalledModelDir(storage, wanted);
  if (installedDir) return installedDir;
  if (!findManifest(wanted)) throw new CliError(`"${wanted}" is neither a model folder nor a known model id (see "loupe models list").`);
  const installed = await listInstalled(storage);
  if (installed.length === 0) throw new NoModelInstalled();
  throw new CliError(`Model "${wanted}" is not installed. Run: loupe models download ${wanted}`);
}
