/**
 * `--endpoint` / `--remote-model` (and $LOUPE_ENDPOINT / $LOUPE_REMOTE_MODEL): answers from an
 * OpenAI-compatible server instead of the model on this machine. The API key comes only from
 * $LOUPE_API_KEY or a hidden prompt, never a flag (flags end up in shell history and `ps`).
 * Images go to a host other than this machine only after the user said yes once for it, in a
 * terminal or through $LOUPE_SEND_IMAGES_TO for scripts.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { z } from 'zod';
import type { OutboundTarget } from '../network/outboundGate';
import { DEFAULT_REMOTE_CONCURRENCY, EndpointRefused, EndpointSchema, endpointLocation, type Endpoint } from '../remote/endpoint';
import type { ConsentPrompt } from '../remote/serverConnection';
import { positiveInt } from './optionParsers';
import { CliError } from './cliErrors';

export interface RemoteFlags {
  endpoint?: string;
  remoteModel?: string;
  allowHttp?: boolean;
  concurrency?: number;
}

export function withRemoteFlags(command: Command, options: { concurrency?: boolean } = {}): Command {
  command
    .option('--endpoint <url>', 'answer from an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 (default: $LOUPE_ENDPOINT); the key comes from $LOUPE_API_KEY')
    .option('--remote-model <id>', "the server's model id (default: $LOUPE_REMOTE_MODEL)")
    .option('--allow-http', 'allow plain http to a host other than this machine');
  if (options.concurrency) command.option('--concurrency <n>', `requests in flight at once to the server (default ${DEFAULT_REMOTE_CONCURRENCY})`, positiveInt);
  return command;
}

/** The endpoint the flags or environment name, or undefined for the model on this machine. */
export function remoteEndpoint(flags: RemoteFlags, env: NodeJS.ProcessEnv = process.env): Endpoint | undefined {
  const baseUrl = flags.endpoint ?? env.LOUPE_ENDPOINT;
  if (!baseUrl) {
    if (flags.remoteModel) throw new CliError('--remote-model needs --endpoint (or $LOUPE_ENDPOINT): the server to ask.');
    return undefined;
  }
  const model = flags.remoteModel ?? env.LOUPE_REMOTE_MODEL;
  if (!model) throw new CliError(`Name the model to ask at ${baseUrl} with --remote-model (or $LOUPE_REMOTE_MODEL); its /models lists them.`);
  const endpoint = EndpointSchema.parse({ name: baseUrl, baseUrl, model, allowHttp: flags.allowHttp === true, concurrency: flags.concurrency });
  try {
    endpointLocation(endpoint);
  } catch (error) {
    if (error instanceof EndpointRefused) throw new CliError(error.message);
    throw error;
  }
  return endpoint;
}

/** Hosts the user allowed, per user: `$LOUPE_HOME/remote-hosts.json`, else `~/.config/loupe/remote-hosts.json`. */
function approvalsPath(env: NodeJS.ProcessEnv): string {
  return env.LOUPE_HOME ? join(env.LOUPE_HOME, 'remote-hosts.json') : join(homedir(), '.config', 'loupe', 'remote-hosts.json');
}

const ApprovalsSchema = z.object({ hosts: z.array(z.string()) });

async function approvedHosts(env: NodeJS.ProcessEnv): Promise<string[]> {
  try {
    return ApprovalsSchema.parse(JSON.parse(await readFile(approvalsPath(env), 'utf8'))).hosts;
  } catch {
    return [];
  }
}

function ask(question: string, hidden = false): Promise<string> {
  const lines = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  if (hidden) {
    // Echo nothing of the key: readline writes typed characters through _writeToOutput.
    (lines as unknown as { _writeToOutput: (text: string) => void })._writeToOutput = (text) => {
      if (text.includes(question)) process.stderr.write(text);
    };
  }
  return new Promise((resolve) =>
    lines.question(question, (answer) => {
      lines.close();
      if (hidden) process.stderr.write('\n');
      resolve(answer.trim());
    }),
  );
}

/** Asks once per host in a terminal and remembers a yes; scripts name the host in $LOUPE_SEND_IMAGES_TO. */
export function cliConsent(env: NodeJS.ProcessEnv = process.env): ConsentPrompt {
  const answered = new Map<string, boolean>();
  return async (target: OutboundTarget): Promise<boolean> => {
    const earlier = answered.get(target.host);
    if (earlier !== undefined) return earlier;
    const allowed = await askConsent(target, env);
    answered.set(target.host, allowed);
    return allowed;
  };
}

async function askConsent(target: OutboundTarget, env: NodeJS.ProcessEnv): Promise<boolean> {
  const allowedByEnv = (env.LOUPE_SEND_IMAGES_TO ?? '').split(',').map((host) => host.trim()).includes(target.host);
  if (allowedByEnv) return true;
  const approved = await approvedHosts(env);
  if (approved.includes(target.host)) return true;
  if (!process.stdin.isTTY) {
    throw new CliError(`Images would go to ${target.host}, which is not this machine. Run once in a terminal to allow it, or set LOUPE_SEND_IMAGES_TO=${target.host}.`);
  }
  const answer = await ask(`loupe: send images to ${target.host}? They leave this machine. [y/N] `);
  if (!/^y(es)?$/i.test(answer)) return false;
  const hosts = [...approved, target.host];
  await mkdir(dirname(approvalsPath(env)), { recursive: true });
  await writeFile(approvalsPath(env), `${JSON.stringify({ hosts }, null, 2)}\n`, { mode: 0o600 });
  return true;
}

/** A hidden prompt for the key, in a terminal, when the server asked for one and $LOUPE_API_KEY is unset. */
export async function promptApiKey(host: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  return (await ask(`loupe: API key for ${host} (not shown; set LOUPE_API_KEY to skip this): `, true)) || undefined;
}
