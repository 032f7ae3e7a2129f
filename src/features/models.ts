/**
 * Model commands in VS Code: pick, download (with consent, license acceptance and a cancellable
 * progress notification; a failure says what happened and offers the ways out), import a folder
 * (suggesting the model its config.json names, and using it at once when nothing else answers),
 * delete, show info, and store a hub token. Models live under the extension's global storage;
 * the work itself is done by src/store/.
 */
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_MODEL_ID, findManifest, getManifest, listManifests } from '../catalog/catalog';
import { licenseText, modelChoices, UNPROVEN_NOTE } from '../store/choice';
import { downloadModel } from '../store/download';
import { isModelError } from '../modelFolder/modelErrors';
import { DEFAULT_HUB_ENDPOINT } from '../store/hubClient';
import { importModelFolder } from '../store/importFolder';
import { identifyModelFolder, type FolderIdentity } from '../store/folderIdentity';
import { downloadFailureNotice, WAY_OUT_TITLES } from './downloadFailure';
import { findPrecision, sizeText, type ModelManifest } from '../catalog/manifest';
import { describeProgress, percent } from '../store/progress';
import { describeOptimization, readOptimization } from '../modelFolder/optimizedVariant';
import { formatBytes } from '../protocol/byteSizes';
import { deleteModel, findInstalled, listInstalled, modelInfo, partialDownloadBytes, resolveInstalledModelDir, selectPrecision, type InstalledModel } from '../store/store';
import { answerFromSetting, hubEndpointSetting, modelIdSetting, modelPathSetting, proxySettings, writeSetting } from '../host/settings';
import { withCancellableProgress } from './cancellableProgress';
import type { EndpointKeys } from '../host/endpointKeys';
import { serverModelItems, useServerModel, type ServerModelItem } from './modelServers';

const TOKEN_SECRET = 'loupe.hub.token';
const acceptanceKey = (modelId: string) => `loupe.licenseAccepted.${modelId}`;

export interface ModelCommandDeps {
  /** The selected model changed or is about to be deleted: unload it from the engine. */
  onModelChanged(): void;
  /** A model was installed or deleted: the status bar and panel look again (an unloaded model's deletion changes no engine state). */
  onInstalledModelsChanged(): void;
  /** Keys of model servers, whose models the picker lists beside the local ones. */
  endpointKeys: EndpointKeys;
  /** `loupe.model.optimizeForCpu`, for Show Model Info. */
  optimizeModels(): boolean;
  /** Loupe's output channel: a failed download's technical details go there, shown on request. */
  log: vscode.LogOutputChannel;
}

const ADD_SERVER: vscode.QuickPickItem & { addServer: true } = { addServer: true, label: '$(add) Add Model Server…', detail: 'Ollama, LM Studio, vLLM, SGLang or llama.cpp\'s server, on this machine or another.' };

/**
 * The models on this machine at once, then each configured server's models as their lists
 * arrive (a slow server does not hold up choosing a local model).
 */
function pickWithServers<T extends vscode.QuickPickItem>(local: T[], keys: EndpointKeys, globalState: vscode.Memento): Promise<T | ServerModelItem | typeof ADD_SERVER | undefined> {
  type Item = T | ServerModelItem | vscode.QuickPickItem;
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = 'Loupe: choose a model';
  pick.matchOnDetail = true;
  const separator = (label: string): vscode.QuickPickItem => ({ label, kind: vscode.QuickPickItemKind.Separator });
  const withServers = (servers: Item[]) => [separator('On this machine'), ...local, separator('Model servers'), ...servers, ADD_SERVER];
  pick.items = withServers([]);
  pick.busy = true;
  void serverModelItems(keys, globalState).then((servers) => {
    pick.items = withServers(servers);
    pick.busy = false;
  });
  return new Promise((resolve) => {
    pick.onDidAccept(() => {
      resolve(pick.selectedItems[0] as T | ServerModelItem | undefined);
      pick.dispose();
    });
    pick.onDidHide(() => {
      resolve(undefined);
      pick.dispose();
    });
    pick.show();
  });
}

export function modelStorageDir(context: vscode.ExtensionContext): string {
  return join(context.globalStorageUri.fsPath, 'models');
}

/**
 * The folder the engine should load: `loupe.model.path` when the workspace is trusted and it is
 * set, else the installed folder of `loupe.model.id`; undefined when neither exists.
 */
export async function resolveSelectedModelDir(context: vscode.ExtensionContext): Promise<string | undefined> {
  return configuredModelPath() ?? resolveInstalledModelDir(modelStorageDir(context), selectedModelId());
}

/** `loupe.model.path` wins over the selected model (a workspace's value only once it is trusted). */
function configuredModelPath(): string | undefined {
  return modelPathSetting();
}

export function registerModelCommands(context: vscode.ExtensionContext, deps: ModelCommandDeps): void {
  const storageDir = modelStorageDir(context);
  const commands = new ModelCommands(context, storageDir, deps);
  void commands.refreshInstalledContext();
  context.subscriptions.push(
    vscode.commands.registerCommand('loupe.selectModel', () => commands.select()),
    vscode.commands.registerCommand('loupe.downloadModel', (id?: unknown) => commands.download(typeof id === 'string' ? id : undefined)),
    vscode.commands.registerCommand('loupe.importModel', () => commands.importFolder()),
    vscode.commands.registerCommand('loupe.deleteModel', () => commands.remove()),
    vscode.commands.registerCommand('loupe.showModelInfo', () => commands.info()),
    vscode.commands.registerCommand('loupe.setHubToken', () => commands.setToken()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('loupe.model')) deps.onModelChanged();
    }),
    // Trust makes loupe.model.path count, which can change the model in use.
    vscode.workspace.onDidGrantWorkspaceTrust(() => deps.onModelChanged()),
  );
}

function selectedModelId(): string {
  return modelIdSetting(DEFAULT_MODEL_ID);
}

class ModelCommands {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly storageDir: string,
    private readonly deps: ModelCommandDeps,
  ) {}

  /** `loupe.modelsInstalled`: the palette offers Delete Model only when there is one to delete. */
  async refreshInstalledContext(): Promise<void> {
    this.deps.onInstalledModelsChanged();
    const installed = await listInstalled(this.storageDir).catch(() => []);
    await vscode.commands.executeCommand('setContext', 'loupe.modelsInstalled', installed.length > 0);
  }

  async select(): Promise<void> {
    const installed = await listInstalled(this.storageDir);
    const path = configuredModelPath();
    const selected = selectedModelId();
    // "current" is the model answers come from: loupe.model.path's folder when set, else the
    // selected model if it is installed. A selected model that is not downloaded is not current.
    const fromServer = answerFromSetting() !== '';
    const current = path || fromServer ? undefined : installed.some((model) => model.modelId === selected) ? selected : undefined;
    const pathItem = path
      ? [{ label: `$(folder-opened) ${basename(path)}`, description: 'current · from the loupe.model.path setting', detail: `${path}. Clear the setting to use one of the models below.`, id: '', isInstalled: true, isPath: true }]
      : [];
    const items = [
      ...pathItem,
      ...modelChoices(listManifests(), installed).map((choice) => ({
        label: `${choice.installed ? '$(check) ' : '$(cloud-download) '}${choice.label}`,
        description: [
          choice.id === current ? 'current' : '',
          choice.id === selected && choice.id !== current && !choice.installed ? 'selected, not downloaded' : '',
          choice.installed ? 'installed' : choice.unproven ? '' : choice.sizeText,
          choice.speed,
          choice.recommended ? 'recommended' : '',
          choice.installed || !choice.unproven ? '' : UNPROVEN_NOTE,
        ]
          .filter(Boolean)
          .join(' · '),
        detail: choice.unproven && !choice.installed ? `Not offered: ${choice.unproven}` : `${licenseText(choice.license)}. ${choice.summary}`,
        id: choice.id,
        isInstalled: choice.installed !== undefined,
      })),
      ...installed
        .filter((model) => !findManifest(model.modelId))
        .map((model) => ({ label: `$(folder) ${model.marker.label}`, description: `${model.modelId === current ? 'current · ' : ''}imported as ${model.modelId}`, detail: model.dir, id: model.modelId, isInstalled: true })),
    ];
    const picked = await pickWithServers<(typeof items)[number] & { isPath?: boolean }>(items, this.deps.endpointKeys, this.context.globalState);
    if (!picked) return;
    if ('server' in picked) {
      if (picked.server.model) await useServerModel(picked.server.endpoint, picked.server.model);
      else await vscode.commands.executeCommand('workbench.action.openSettingsJson', { revealSetting: { key: 'loupe.endpoints' } });
      return;
    }
    if ('addServer' in picked) {
      await vscode.commands.executeCommand('loupe.addModelServer');
      return;
    }
    if (picked.isPath) {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'loupe.model.path');
      return;
    }
    if (!picked.isInstalled) {
      const manifest = getManifest(picked.id);
      if (await this.refusedAsUnproven(manifest)) return;
      const answer = await vscode.window.showInformationMessage(`${manifest.label} is not downloaded yet.`, { modal: true, detail: downloadDetail(manifest, this.storageDir) }, 'Download');
      if (answer === 'Download') await this.download(manifest.id, { skipConsent: true, useWhenDone: true });
      return;
    }
    if (await this.pickPrecision(picked.id)) await this.useModel(picked.id);
  }

  /** With several precisions of a model installed, asks which one to load; false when cancelled. */
  private async pickPrecision(modelId: string): Promise<boolean> {
    const model = await findInstalled(this.storageDir, modelId);
    if (!model || model.marker.precisions.length < 2) return true;
    const manifest = findManifest(modelId);
    const picked = await vscode.window.showQuickPick(
      model.marker.precisions.map((p) => ({
        label: manifest?.precisions.find((m) => m.id === p.id)?.label ?? p.id,
        description: `${p.id === model.marker.precision ? 'current · ' : ''}vision ${p.dtype.vision_encoder}, embeddings ${p.dtype.embed_tokens}, decoder ${p.dtype.decoder_model_merged}`,
        id: p.id,
      })),
      { title: `Loupe: which precision of ${model.marker.label}?` },
    );
    if (!picked) return false;
    try {
      await selectPrecision(this.storageDir, modelId, picked.id);
      return true;
    } catch (error) {
      void vscode.window.showErrorMessage(`Loupe: ${(error as Error).message}`);
      return false;
    }
  }

  /** A model whose recommended precision no public evidence shows is not downloaded; says why and offers an import. */
  private async refusedAsUnproven(manifest: ModelManifest): Promise<boolean> {
    const reason = findPrecision(manifest).unproven;
    if (!reason) return false;
    const importFolder = 'Import Model from Folder…';
    const answer = await vscode.window.showWarningMessage(`${manifest.label} is not offered for download.`, { modal: true, detail: `${reason}\nIf you have its files, import the folder.` }, importFolder);
    if (answer === importFolder) await vscode.commands.executeCommand('loupe.importModel');
    return true;
  }

  /** Resolves true when the model ended up installed. `useWhenDone` selects it without asking. */
  async download(id?: string, options: { skipConsent?: boolean; useWhenDone?: boolean } = {}): Promise<boolean> {
    const manifest = id ? findManifest(id) : await this.pickManifest('Download which model?');
    if (!manifest) {
      if (id) void vscode.window.showErrorMessage(`Loupe: unknown model "${id}".`);
      return false;
    }
    if (await this.refusedAsUnproven(manifest)) return false;
    if (!options.skipConsent) {
      const answer = await vscode.window.showInformationMessage(`Download ${manifest.label}?`, { modal: true, detail: downloadDetail(manifest, this.storageDir) }, 'Download');
      if (answer !== 'Download') return false;
    }
    if (!(await this.acceptLicense(manifest))) return false;
    const token = await this.context.secrets.get(TOKEN_SECRET);
    const hadModel = (await resolveSelectedModelDir(this.context)) !== undefined;
    try {
      const outcome = await withCancellableProgress(`Downloading ${manifest.label}`, ({ signal, report }) =>
        downloadModel({
          manifest,
          storageDir: this.storageDir,
          endpoint: hubEndpoint(),
          token,
          ...proxySettings(),
          licenseAccepted: true,
          signal,
          progressIntervalMs: 250,
          onProgress: (p) => report(percent(p), describeProgress(p)),
        }),
      );
      void this.refreshInstalledContext();
      if (options.useWhenDone || !hadModel || manifest.id === selectedModelId()) {
        await this.useModel(manifest.id);
      } else {
        const answer = await vscode.window.showInformationMessage(`${manifest.label} is downloaded (${outcome.marker.precision}).`, 'Use It Now');
        if (answer) await this.useModel(manifest.id);
      }
      return true;
    } catch (error) {
      if (isModelError(error, 'CANCELLED')) {
        const kept = await partialDownloadBytes(this.storageDir, manifest.id);
        void vscode.window.showInformationMessage(`Loupe: download of ${manifest.label} cancelled. ${formatBytes(kept)} kept; run "Loupe: Download Model" again to resume.`);
        return false;
      }
      return this.offerWaysOut(error, manifest, token, options);
    }
  }

  /** A failed download in plain words, with the ways out that apply; the technical details go to the output channel. */
  private async offerWaysOut(error: unknown, manifest: ModelManifest, token: string | undefined, options: { useWhenDone?: boolean }): Promise<boolean> {
    const notice = downloadFailureNotice(error, manifest.label, [token]);
    this.deps.log.warn(notice.logEntry);
    const titles = notice.waysOut.map((way) => WAY_OUT_TITLES[way]);
    const answer = await vscode.window.showErrorMessage(notice.message, ...titles);
    switch (notice.waysOut[titles.findIndex((title) => title === answer)]) {
      case 'setToken':
        await this.setToken();
        return this.download(manifest.id, { ...options, skipConsent: true });
      case 'retry':
        return this.download(manifest.id, { ...options, skipConsent: true });
      case 'importFolder':
        await this.importFolder();
        return false;
      case 'addServer':
        await vscode.commands.executeCommand('loupe.addModelServer');
        return false;
      case 'proxySettings':
        await vscode.commands.executeCommand('workbench.action.openSettings', 'http.proxy');
        return false;
      case 'details':
        this.deps.log.show(true);
        return false;
      default:
        return false;
    }
  }

  async importFolder(): Promise<void> {
    const folders = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Import Model Folder' });
    const source = folders?.[0]?.fsPath;
    if (!source) return;
    const identity = await identifyModelFolder(source);
    const kind = await vscode.window.showQuickPick(importChoices(identity), {
      title: 'Which model is in this folder?',
      placeHolder: identity.said ?? 'Its config.json does not name a model Loupe knows: pick one, or import it under its own name.',
    });
    if (!kind) return;
    const manifest = kind.id ? getManifest(kind.id) : undefined;
    if (manifest && !(await this.acceptLicense(manifest))) return;
    // Nothing answers yet (no model found for the selection, no server): the import is used at once.
    const hadModel = answerFromSetting() !== '' || (await resolveSelectedModelDir(this.context)) !== undefined;
    try {
      const outcome = await withCancellableProgress('Importing model', ({ signal, report }) =>
        importModelFolder({
          source,
          storageDir: this.storageDir,
          modelId: kind.id,
          licenseAccepted: true,
          signal,
          onProgress: (done, total) => report(total > 0 ? (done / total) * 100 : 100, `${formatBytes(done)} of ${formatBytes(total)}`),
        }),
      );
      const { label, modelId } = outcome.marker;
      if (!hadModel) {
        // Settings first, then the status bar and the chat look again: they show the new model at once.
        await this.useModel(modelId);
        await this.refreshInstalledContext();
        void vscode.window.showInformationMessage(outcome.alreadyImported ? `Loupe uses ${label} now (it was already imported from this folder).` : `Loupe imported ${label} and uses it now.`);
        return;
      }
      await this.refreshInstalledContext();
      const imported = outcome.alreadyImported ? `${label} was already imported from this folder.` : `Loupe imported ${label}.`;
      const answer = await vscode.window.showInformationMessage(`${imported} Use it instead of the model in use now?`, 'Use It Now');
      if (!answer) return;
      await this.useModel(modelId);
      void vscode.window.showInformationMessage(`Loupe uses ${label} now.`);
    } catch (error) {
      void vscode.window.showErrorMessage(`Loupe: ${(error as Error).message}`);
    }
  }

  async remove(): Promise<void> {
    const model = await this.pickInstalled('Delete which model?');
    if (!model) return;
    const info = await modelInfo(this.storageDir, model.modelId);
    const answer = await vscode.window.showWarningMessage(
      `Delete ${model.marker.label}?`,
      { modal: true, detail: `This frees ${formatBytes(info?.sizeOnDisk ?? 0)} in ${join(this.storageDir, model.modelId)}. You can download or import it again later.` },
      'Delete',
    );
    if (answer !== 'Delete') return;
    if (model.modelId === selectedModelId()) this.deps.onModelChanged();
    try {
      await deleteModel(this.storageDir, model.modelId);
      void vscode.window.showInformationMessage(`Loupe: deleted ${model.marker.label}.`);
      void this.refreshInstalledContext();
    } catch (error) {
      void vscode.window.showErrorMessage(`Loupe: ${(error as Error).message}`);
    }
  }

  async info(): Promise<void> {
    const path = configuredModelPath();
    if (path) {
      const answer = await vscode.window.showInformationMessage('Loupe uses a model folder from the loupe.model.path setting.', { modal: true, detail: `Path: ${path}` }, 'Open Folder');
      if (answer) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(path));
      return;
    }
    const info = await modelInfo(this.storageDir, selectedModelId());
    if (!info) {
      const manifest = findManifest(selectedModelId());
      const answer = await vscode.window.showInformationMessage(`Loupe: ${manifest?.label ?? selectedModelId()} is not installed.`, 'Download', 'Choose Another');
      if (answer === 'Download') await this.download(selectedModelId());
      if (answer === 'Choose Another') await this.select();
      return;
    }
    const { marker } = info;
    const lines = [
      `Path: ${info.dir}`,
      `Size on disk: ${formatBytes(info.sizeOnDisk)}`,
      marker.hub ? `Source: ${marker.hub.repo} at commit ${marker.hub.commit}${marker.hub.requestedRevision === marker.hub.commit ? '' : ` (${marker.hub.revisionKind} ${marker.hub.requestedRevision})`}` : `Imported from: ${marker.importedFrom ?? 'unknown'}`,
      `Precision: ${marker.precision} (vision ${marker.dtype.vision_encoder}, embeddings ${marker.dtype.embed_tokens}, decoder ${marker.dtype.decoder_model_merged})${alsoInstalled(marker)}`,
      `License: ${marker.license.name}${marker.licenseAcceptedAt ? ` (accepted ${marker.licenseAcceptedAt.slice(0, 10)})` : ''}`,
      `Installed: ${marker.installedAt.slice(0, 19).replace('T', ' ')}`,
      `CPU optimisation: ${describeOptimization(await readOptimization(info.dir, { dtype: marker.dtype }), { enabled: this.deps.optimizeModels(), dtype: marker.dtype })}`,
    ];
    const buttons = marker.license.url ? ['Open Folder', 'Open License'] : ['Open Folder'];
    const answer = await vscode.window.showInformationMessage(marker.label, { modal: true, detail: lines.join('\n') }, ...buttons);
    if (answer === 'Open Folder') await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(info.dir));
    if (answer === 'Open License') await vscode.env.openExternal(vscode.Uri.parse(marker.license.url));
  }

  async setToken(): Promise<void> {
    const value = await vscode.window.showInputBox({
      title: 'Hugging Face token',
      prompt: 'Used only for gated or private models; stored in VS Code\'s secret storage. Leave empty to remove it.',
      placeHolder: 'hf_…',
      password: true,
      ignoreFocusOut: true,
    });
    if (value === undefined) return;
    if (value.trim() === '') {
      await this.context.secrets.delete(TOKEN_SECRET);
      void vscode.window.showInformationMessage('Loupe: Hugging Face token removed.');
    } else {
      await this.context.secrets.store(TOKEN_SECRET, value.trim());
      void vscode.window.showInformationMessage('Loupe: Hugging Face token saved.');
    }
  }

  private async useModel(id: string): Promise<void> {
    // A model on this machine chosen: answers stop going to a server.
    if (answerFromSetting()) await writeSetting('answerFrom', '');
    await writeSetting('model.id', id);
    this.deps.onModelChanged();
    const path = configuredModelPath();
    if (path) {
      void vscode.window.showWarningMessage(`Loupe: the loupe.model.path setting (${path}) still takes precedence over the selected model.`);
    }
  }

  /** Asks once per model and license; the answer is remembered. */
  private async acceptLicense(manifest: ModelManifest): Promise<boolean> {
    if (!manifest.license.requiresAcceptance) return true;
    const key = acceptanceKey(manifest.id);
    if (this.context.globalState.get<{ license: string }>(key)?.license === manifest.license.name) return true;
    for (;;) {
      const answer = await vscode.window.showWarningMessage(
        `${manifest.label} is licensed under the ${manifest.license.name}.`,
        { modal: true, detail: `${manifest.license.summary}\n\nYou need to accept it to download and use this model.` },
        'Read License',
        'Accept License',
      );
      if (answer === 'Read License') {
        await vscode.env.openExternal(vscode.Uri.parse(manifest.license.url));
        continue;
      }
      if (answer !== 'Accept License') return false;
      await this.context.globalState.update(key, { license: manifest.license.name, acceptedAt: new Date().toISOString() });
      return true;
    }
  }

  private async pickManifest(title: string): Promise<ModelManifest | undefined> {
    const installed = await listInstalled(this.storageDir);
    const picked = await vscode.window.showQuickPick(
      modelChoices(listManifests(), installed).map((choice) => ({
        label: choice.label,
        description: [choice.installed ? 'installed' : choice.sizeText, choice.speed, choice.recommended ? 'recommended' : ''].filter(Boolean).join(' · '),
        detail: `${licenseText(choice.license)}. ${choice.summary}`,
        id: choice.id,
      })),
      { title },
    );
    return picked && getManifest(picked.id);
  }

  private async pickInstalled(title: string): Promise<InstalledModel | undefined> {
    const installed = await listInstalled(this.storageDir);
    if (installed.length === 0) {
      void vscode.window.showInformationMessage('Loupe: no model is installed.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      installed.map((model) => ({ label: model.marker.label, description: `${model.modelId} · ${model.marker.precision}`, detail: model.dir, model })),
      { title },
    );
    return picked?.model;
  }
}

type ImportChoice = vscode.QuickPickItem & { id?: string };

/**
 * The import picker: the catalog model config.json points to first (Enter takes it), or, when it
 * names only the family, that family's models that fit and importing under the folder's own name;
 * then every other catalog model and "Another model".
 */
function importChoices(identity: FolderIdentity): ImportChoice[] {
  const item = (manifest: ModelManifest, description: string): ImportChoice => ({
    label: manifest.label,
    description,
    detail: `${manifest.parameters}; ${licenseText(manifest.license)}`,
    id: manifest.id,
  });
  const separator = (label: string): ImportChoice => ({ label, kind: vscode.QuickPickItemKind.Separator });
  const ownName = (label: string, description: string): ImportChoice => ({ label, description, detail: 'Imported under the folder\'s own name; Loupe checks the architecture from config.json.' });
  const suggested = identity.manifest ? [identity.manifest] : identity.candidates;
  const others = listManifests().filter((m) => !suggested.includes(m));
  if (!identity.family) return [...others.map((m) => item(m, '')), ownName('Another model', '')];
  if (identity.manifest) {
    return [item(identity.manifest, 'suggested by its config.json'), separator('Other models'), ...others.map((m) => item(m, '')), ownName(`Another ${identity.family} model`, '')];
  }
  // The family but not which of its models: the folder's own name first, the models that fit next.
  return [ownName(`${identity.family} model`, 'what its config.json says'), ...suggested.map((m) => item(m, `${identity.family}, as its config.json says`)), separator('Other models'), ...others.map((m) => item(m, ''))];
}

/** "; also installed: q4" when Select Model can switch to other precisions. */
function alsoInstalled(marker: InstalledModel['marker']): string {
  const others = marker.precisions.filter((p) => p.id !== marker.precision).map((p) => p.id);
  return others.length > 0 ? `; also installed: ${others.join(', ')} (Select Model switches)` : '';
}

function downloadDetail(manifest: ModelManifest, storageDir: string): string {
  const precision = findPrecision(manifest);
  const host = new URL(hubEndpoint()).host;
  return [
    `Size: ${sizeText(manifest, precision)} (${precision.label.toLowerCase()} precision), downloaded once and verified.`,
    `From: ${host}, ${manifest.hub.repo} (${manifest.hub.revisionKind} ${manifest.hub.revision.slice(0, 12)}).`,
    `License: ${manifest.license.name}.`,
    `Stored in: ${storageDir}`,
    'After this, Loupe works offline. Cancelling keeps what was downloaded, to resume later.',
  ].join('\n');
}

/** `loupe.hub.endpoint` (a workspace's value only once it is trusted). */
function hubEndpoint(): string {
  return hubEndpointSetting(DEFAULT_HUB_ENDPOINT);
}

