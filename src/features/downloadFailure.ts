/**
 * What a failed model download tells the user, kept free of the VS Code API so it can be tested
 * on its own: the store's plain words, the ways out that apply and the order of their buttons,
 * and the technical details for Loupe's output channel. Offline or behind a proxy, the ways out
 * are trying again, importing a model folder, answering from a model server, or the proxy settings.
 */
import { isModelError } from '../modelFolder/modelErrors';
import { redactSecrets } from '../protocol/secretRedaction';

export type WayOut = 'retry' | 'importFolder' | 'addServer' | 'proxySettings' | 'setToken' | 'details';

/**
 * Button titles, short enough that five fit a notification (450 px) without being cut: the
 * commands they run are "Import Model from Folder…" and "Add Model Server…".
 */
export const WAY_OUT_TITLES: Record<WayOut, string> = {
  retry: 'Retry',
  importFolder: 'Import Folder…',
  addServer: 'Add Server…',
  proxySettings: 'Proxy Settings',
  setToken: 'Set Hugging Face Token',
  details: 'Details',
};

export interface DownloadFailureNotice {
  message: string;
  /** In button order: the first is the notification's primary button. */
  waysOut: WayOut[];
  /** For the output channel: what failed and the technical account, when there is one. */
  logEntry: string;
}

export function downloadFailureNotice(error: unknown, modelLabel: string, secrets: readonly (string | undefined)[] = []): DownloadFailureNotice {
  const said = redactSecrets(error instanceof Error ? error.message : String(error), secrets);
  const details = isModelError(error) && error.details ? redactSecrets(error.details, secrets) : undefined;
  const logEntry = [`Download of ${modelLabel} failed: ${said}`, ...(details ? [details] : [])].join('\n');
  const withDetails = (ways: WayOut[]): WayOut[] => (details ? [...ways, 'details'] : ways);
  if (isModelError(error, 'NETWORK')) {
    return {
      message: `Loupe: ${said} Without the hub, you can import a model folder copied from another machine, or answer from a model server.`,
      waysOut: withDetails(['retry', 'importFolder', 'addServer', 'proxySettings']),
      logEntry,
    };
  }
  if (isModelError(error, 'HUB_UNAUTHORIZED')) return { message: `Loupe: ${said}`, waysOut: withDetails(['setToken', 'retry']), logEntry };
  return { message: `Loupe: ${said}`, waysOut: withDetails(['retry']), logEntry };
}
