/**
 * Model servers in the editor: add one (URL, key if the server asks, model from its list, name),
 * set or clear its key, and answer from it or from the model on this machine. Endpoints live in
 * user settings (`loupe.endpoints`), keys in SecretStorage (src/host/endpointKeys.ts).
 */
import * as vscode from 'vscode';
import { EndpointKeys } from '../host/endpointKeys';
import { editorConsent, editorConsentCarry, givenConsent } from '../host/remoteConsent';
import { answerFromSetting, endpointsSetting, saveEndpoint, writeSetting } from '../host/settings';
import { resolveOutbound } from '../network/outboundGate';
import { DEFAULT_REMOTE_CONCURRENCY, endpointLocation, parseEndpoints, type Endpoint } from '../remote/endpoint';
import { RemoteError } from '../remote/remoteErrors';
import { ConsentRefused, ServerConnection } from '../remote/serverConnection';

const EXAMPLE_URL = 'http://127.0.0.1:11434/v1';

export function registerModelServerCommands(context: vscode.ExtensionContext, keys: EndpointKeys): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('loupe.addModelServer', () => addModelServer(keys, context.globalState)),
    vscode.commands.registerCommand('loupe.setModelServerKey', () => setModelServerKey(keys)),
  );
}

async function askBaseUrl(): Promise<{ baseUrl: string; allowHttp: boolean } | undefined> {
  const baseUrl = await vscode.window.showInputBox({
    title: 'Loupe: add a model server (1/3)',
    prompt: 'Base URL of an OpenAI-compatible server: Ollama, LM Studio, vLLM, SGLang or llama.cpp\'s server',
    placeHolder: EXAMPLE_URL,
    value: EXAMPLE_URL,
    ignoreFocusOut: true,
    validateInput: (value) => {
      try {
        endpointLocation({ baseUrl: value.trim() });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
  if (!baseUrl) return undefined;
  const location = endpointLocation({ baseUrl: baseUrl.trim() });
  // Whether the host is this machine is decided by the addresses its name resolves to.
  const target = location.url.protocol === 'https:' ? undefined : await resolveOutbound(location.url).catch(() => undefined);
  if (location.url.protocol === 'https:' || target?.loopback) return { baseUrl: baseUrl.trim(), allowHttp: false };
  const allow = 'Allow plain http';
  const answer = await vscode.window.showWarningMessage(
    `${location.host} is reached over plain http.`,
    { modal: true, detail: 'Images and questions would cross the network unencrypted. Allow it only on a network you trust, or use https.' },
    allow,
  );
  return answer === allow ? { baseUrl: baseUrl.trim(), allowHttp: true } : undefined;
}

/** The server's model list, after the user's consent for a host that is not this machine; asks for a key when the server wants one. */
async function modelsOf(endpoint: Endpoint, globalState: vscode.Memento): Promise<{ models: string[]; key?: string } | undefined> {
  const opened = new ServerConnection({ endpoint, consent: editorConsent(globalState) });
  try {
    return await listWithKey(opened);
  } finally {
    await opened.close();
  }
}

/** Lists the models, asking for a key (on the same resolved route) while the server refuses without one. */
async function listWithKey(opened: ServerConnection): Promise<{ models: string[]; key?: string } | undefined> {
  let key: string | undefined;
  for (;;) {
    try {
      return { models: await opened.withKey(key).listModels(), key };
    } catch (error) {
      if (error instanceof ConsentRefused) return undefined;
      if (!(error instanceof RemoteError) || error.kind !== 'auth') {
        const retry = 'Enter the model id';
        const answer = await vscode.window.showWarningMessage(`Could not list the server's models: ${(error as Error).message}`, retry);
        return answer === retry ? { models: [], key } : undefined;
      }
      key = await vscode.window.showInputBox({
        title: 'Loupe: the server asks for an API key',
        prompt: 'Stored in VS Code\'s secret storage (your OS keychain), never in settings.',
        password: true,
        ignoreFocusOut: true,
      });
      if (!key) return undefined;
    }
  }
}

async function addModelServer(keys: EndpointKeys, globalState: vscode.Memento): Promise<void> {
  const location = await askBaseUrl();
  if (!location) return;
  const host = endpointLocation(location).host;
  // Named after its host until the user names it: consent is remembered per name and host.
  const draft: Endpoint = { name: host, baseUrl: location.baseUrl, model: '-', headers: {}, allowHttp: location.allowHttp, concurrency: DEFAULT_REMOTE_CONCURRENCY };
  const listed = await modelsOf(draft, globalState);
  if (!listed) return;
  const model =
    listed.models.length > 0
      ? (await vscode.window.showQuickPick(listed.models, { title: 'Loupe: add a model server (2/3): which model answers?', ignoreFocusOut: true }))
      : await vscode.window.showInputBox({ title: 'Loupe: add a model server (2/3)', prompt: 'The model id the server knows', ignoreFocusOut: true });
  if (!model) return;
  const name = await vscode.window.showInputBox({
    title: 'Loupe: add a model server (3/3)',
    prompt: 'A name for it, shown in the status bar and the model picker',
    value: `${model} @ ${host}`,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : 'Give it a name.'),
  });
  if (!name) return;
  const endpoint: Endpoint = { ...draft, name: name.trim(), model };
  await keys.set(endpoint.name, listed.key);
  // The user allowed this host while adding it: the name they chose carries that consent.
  await editorConsentCarry(globalState, draft, endpoint);
  await saveEndpoint(endpoint);
  await useServerModel(endpoint, model);
  void vscode.window.showInformationMessage(`Loupe answers from ${model} at ${host} now. "Loupe: Select Model" switches back to the model on this machine.`);
}

async function pickEndpoint(title: string): Promise<Endpoint | undefined> {
  const { endpoints } = parseEndpoints(endpointsSetting());
  if (endpoints.length === 0) {
    const add = 'Add Model Server…';
    if ((await vscode.window.showInformationMessage('No model servers are configured.', add)) === add) await vscode.commands.executeCommand('loupe.addModelServer');
    return undefined;
  }
  const active = answerFromSetting();
  const picked = await vscode.window.showQuickPick(
    endpoints.map((endpoint) => ({ label: endpoint.name, description: endpoint.name === active ? 'answering now' : undefined, detail: `${endpoint.model} at ${endpoint.baseUrl}`, endpoint })),
    { title },
  );
  return picked?.endpoint;
}

async function setModelServerKey(keys: EndpointKeys): Promise<void> {
  const endpoint = await pickEndpoint('Loupe: set the API key of a model server');
  if (!endpoint) return;
  const key = await vscode.window.showInputBox({
    title: `Loupe: API key for ${endpoint.name}`,
    prompt: 'Stored in VS Code\'s secret storage, never in settings. Leave empty to remove it.',
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return;
  await keys.set(endpoint.name, key);
  void vscode.window.showInformationMessage(key.trim() ? `Stored the key for ${endpoint.name}.` : `Removed the key for ${endpoint.name}.`);
}

/** A model a server offers, as the model picker lists it beside the models on this machine. */
export interface ServerModelItem extends vscode.QuickPickItem {
  server: { endpoint: Endpoint; model?: string };
}

const LIST_TIMEOUT_MS = 5_000;

/** Each configured server's models (one request per server, in parallel); a server that does not answer is one item saying why. */
export async function serverModelItems(keys: EndpointKeys, globalState: vscode.Memento): Promise<ServerModelItem[]> {
  const { endpoints } = parseEndpoints(endpointsSetting());
  const active = answerFromSetting();
  const perServer = await Promise.all(
    endpoints.map(async (endpoint): Promise<ServerModelItem[]> => {
      let host = endpoint.baseUrl;
      try {
        host = endpointLocation(endpoint).host;
        // Listing is not the user's request: a host not yet allowed gets no request at all.
        const connection = new ServerConnection({ endpoint, apiKey: await keys.get(endpoint.name), consent: givenConsent(globalState) });
        const models = await connection.listModels(AbortSignal.timeout(LIST_TIMEOUT_MS)).finally(() => connection.close());
        const ids = models.includes(endpoint.model) ? models : [endpoint.model, ...models];
        return ids.map((model) => ({
          label: `$(cloud) ${model}`,
          description: [endpoint.name === active && model === endpoint.model ? 'current' : '', `at ${host}`].filter(Boolean).join(' · '),
          detail: `Model server "${endpoint.name}": images you ask about are sent to ${host}.`,
          server: { endpoint, model },
        }));
      } catch (error) {
        if (error instanceof ConsentRefused) {
          return [{ label: `$(cloud) ${endpoint.model}`, description: `at ${host} · not allowed yet`, detail: `Model server "${endpoint.name}": Loupe asks before the first image goes to ${host}.`, server: { endpoint, model: endpoint.model } }];
        }
        return [{ label: `$(warning) ${endpoint.name}`, description: `at ${host} · not answering`, detail: (error as Error).message, server: { endpoint } }];
      }
    }),
  );
  return perServer.flat();
}

/** Answers from `model` on this server from now on. */
export async function useServerModel(endpoint: Endpoint, model: string): Promise<void> {
  if (model !== endpoint.model) await saveEndpoint({ ...endpoint, model });
  await writeSetting('answerFrom', endpoint.name);
}
