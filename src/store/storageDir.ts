/** Where the CLI keeps models: `$LOUPE_HOME/models`, else `~/.cache/loupe/models`. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cliStorageDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LOUPE_HOME ? join(env.LOUPE_HOME, 'models') : join(homedir(), '.cache', 'loupe', 'models');
}
