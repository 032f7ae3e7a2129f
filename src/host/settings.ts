/**
 * The one owner of Loupe's settings (package.json `contributes.configuration`): typed reads with
 * the manifest's defaults, which changes need the engine reconfigured or restarted, and one write
 * rule. Features never call `getConfiguration('loupe')` themselves.
 */
import { parse as parseJsoncText, type ParseError } from 'jsonc-parser';
import * as vscode from 'vscode';
import { DEFAULT_ALT_MAX_LENGTH } from '../protocol/altTextDefaults';
import { PRESET_NAMES, type PresetName } from '../protocol/presetNames';
import type { Isolation } from '../client/engineClient';
import type { Endpoint } from '../remote/endpoint';

const SECTION = 'loupe';
/** Set when the editor died while a model loaded in a thread (src/host/crashRecovery.ts). */
const CRASH_ISOLATION_KEY = 'loupe.engine.crashedInThread';

/** What a settings change means for the running engine. */
export interface SettingsChange {
  affects(key: string): boolean;
  /** The engine must be started anew (thread vs process). */
  restartsEngine: boolean;
  /** The engine takes the new value at once (idle unload time). */
  reconfiguresEngine: boolean;
}

export class Settings {
  constructor(private readonly globalState: vscode.Memento) {}

  private get config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  get preset(): PresetName {
    const value = this.config.get<string>('preset');
    return (PRESET_NAMES as readonly string[]).includes(value ?? '') ? (value as PresetName) : 'balanced';
  }

  /** `loupe.generation` as written; `validSampling` (src/protocol/options.ts) keeps its valid fields. */
  get samplingSetting(): unknown {
    return this.config.get<unknown>('generation', {});
  }

  /** A crash while loading in a thread pins this machine to process isolation, without touching synced settings. */
  get isolation(): Isolation {
    if (this.globalState.get<boolean>(CRASH_ISOLATION_KEY)) return 'process';
    return this.config.get<Isolation>('engine.isolation') === 'thread' ? 'thread' : 'process';
  }

  get idleUnloadMs(): number {
    return Math.max(0, this.config.get<number>('engine.idleUnloadMinutes', 10)) * 60_000;
  }

  get optimizeModels(): boolean {
    return this.config.get<boolean>('model.optimizeForCpu', true);
  }

  get ocrGrounding(): boolean {
    return this.config.get<boolean>('ocr.groundPrompts', true);
  }

  altText(scope?: vscode.Uri): AltTextSettings {
    return altTextSettings(scope);
  }

  async rememberCrashInThread(crashed: boolean): Promise<void> {
    await this.globalState.update(CRASH_ISOLATION_KEY, crashed || undefined);
  }

  write(key: string, value: unknown): Promise<void> {
    return writeSetting(key, value);
  }

  onDidChange(listener: (change: SettingsChange) => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(SECTION)) return;
      listener(classifyChange((key) => event.affectsConfiguration(`${SECTION}.${key}`)));
    });
  }
}

export interface AltTextSettings {
  maxLength: number;
  /** Language code for answers; empty: the document's language. */
  language: string;
}

/** Alt text settings can differ per folder of a multi-root workspace, so they are read for a document. */
export function altTextSettings(scope?: vscode.Uri): AltTextSettings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return { maxLength: config.get<number>('altText.maxLength', DEFAULT_ALT_MAX_LENGTH), language: config.get<string>('altText.language', '').trim() };
}

/** How alt text findings show in the editor, per document (folders may differ). */
export function altTextDiagnosticSettings(scope: vscode.Uri): { severity: string; disabledLanguages: string[] } {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return {
    severity: config.get<string>('altText.diagnostics.severity', 'information'),
    disabledLanguages: config.get<string[]>('altText.diagnostics.disabledLanguages', []),
  };
}

/**
 * `loupe.altText.recordWrittenAlt`: whether Loupe keeps `.loupe/alt-text.json` (stale alt checks)
 * in this folder, and whether that was set in the workspace or folder (an explicit choice there).
 */
export function recordWrittenAltSetting(scope: vscode.Uri): { enabled: boolean; setInWorkspace: boolean } {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const inspected = config.inspect<boolean>('altText.recordWrittenAlt');
  return {
    enabled: config.get<boolean>('altText.recordWrittenAlt', true),
    setInWorkspace: inspected?.workspaceValue !== undefined || inspected?.workspaceFolderValue !== undefined,
  };
}

/** Writes where the value is set now (folder, workspace, else user), so a change is never hidden by a more specific value. */
export async function writeSetting(key: string, value: unknown): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const inspected = config.inspect(key);
  const target =
    inspected?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : inspected?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
  await config.update(key, value, target);
}

/** package.json `restrictedConfigurations`, without the section (test/unit/contributions.test.ts checks). */
export const RESTRICTED_SETTINGS = ['model.path', 'hub.endpoint', 'endpoints', 'answerFrom'] as const;
/** The restricted settings that hold one string; `endpoints` is a list (endpointsSetting). */
type RestrictedSetting = Exclude<(typeof RESTRICTED_SETTINGS)[number], 'endpoints'>;

/**
 * A restricted setting: in an untrusted workspace VS Code ignores the workspace's and folders'
 * values, not the user's own, so the user value still counts there (Restricted Mode with a model
 * folder in user settings must keep using it).
 */
function restrictedSetting(key: RestrictedSetting): string {
  const config = vscode.workspace.getConfiguration(SECTION);
  if (vscode.workspace.isTrusted) return (config.get<string>(key) ?? '').trim();
  return (config.inspect<string>(key)?.globalValue ?? '').trim();
}

/** A workspace or folder value of a restricted setting that Restricted Mode is ignoring now. */
export interface IgnoredSetting {
  /** "loupe.model.path" */
  key: string;
  value: string;
  /** Where it is set: "workspace" or the folder's name. */
  where: string;
}

/**
 * Restricted settings whose workspace or folder values are ignored because the workspace is not
 * trusted. VS Code leaves those values out of `inspect()` in Restricted Mode, so the settings files
 * themselves are read: the workspace file's `settings` and each folder's .vscode/settings.json.
 */
export async function ignoredWorkspaceSettings(): Promise<IgnoredSetting[]> {
  if (vscode.workspace.isTrusted) return [];
  const sources: { where: string; uri: vscode.Uri; inSettings: boolean }[] = (vscode.workspace.workspaceFolders ?? []).map((folder) => ({
    where: folder.name,
    uri: vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json'),
    inSettings: false,
  }));
  const workspaceFile = vscode.workspace.workspaceFile;
  if (workspaceFile && workspaceFile.scheme !== 'untitled') sources.unshift({ where: 'workspace', uri: workspaceFile, inSettings: true });
  const ignored: IgnoredSetting[] = [];
  for (const source of sources) {
    const text = await Promise.resolve(vscode.workspace.fs.readFile(source.uri)).then((bytes) => new TextDecoder().decode(bytes), () => undefined);
    const parsed = text === undefined ? undefined : parseJsonc(text);
    const values = (source.inSettings ? (parsed as { settings?: unknown } | undefined)?.settings : parsed) as Record<string, unknown> | undefined;
    for (const key of RESTRICTED_SETTINGS) {
      const value = values?.[`${SECTION}.${key}`];
      if (typeof value === 'string' && value.trim()) ignored.push({ key: `${SECTION}.${key}`, value: value.trim(), where: source.where });
      if (Array.isArray(value) && value.length > 0) ignored.push({ key: `${SECTION}.${key}`, value: `${value.length} model server${value.length === 1 ? '' : 's'}`, where: source.where });
    }
  }
  return ignored;
}

/** VS Code's settings files are JSON with comments and trailing commas; undefined when unreadable. */
export function parseJsonc(text: string): unknown {
  const errors: ParseError[] = [];
  const value: unknown = parseJsoncText(text, errors, { allowTrailingComma: true });
  return errors.length === 0 ? value : undefined;
}

/** Whether to offer the Getting Started walkthrough on the first start (`loupe.welcome.offerWalkthrough`). */
export function offerWalkthroughSetting(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>('welcome.offerWalkthrough', true);
}

/** `loupe.model.path`: a model folder that wins over the selected model; undefined when unset. */
export function modelPathSetting(): string | undefined {
  return restrictedSetting('model.path') || undefined;
}

export function modelIdSetting(fallback: string): string {
  return vscode.workspace.getConfiguration(SECTION).get<string>('model.id') || fallback;
}

export function hubEndpointSetting(fallback: string): string {
  return restrictedSetting('hub.endpoint') || fallback;
}

/** VS Code's proxy settings; empty ones leave HTTPS_PROXY / HTTP_PROXY / NO_PROXY in charge. */
export function proxySettings(): { proxy?: string; noProxy?: string } {
  const http = vscode.workspace.getConfiguration('http');
  if (http.get<string>('proxySupport') === 'off') return {};
  const proxy = http.get<string>('proxy', '').trim() || undefined;
  const noProxy = http.get<string[]>('noProxy', []).join(',') || undefined;
  return { proxy, noProxy };
}

/** Which settings the engine depends on, and how: kept next to the reads above. */
export function classifyChange(affects: (key: string) => boolean): SettingsChange {
  return { affects, restartsEngine: affects('engine.isolation'), reconfiguresEngine: affects('engine.idleUnloadMinutes') || affects('model.optimizeForCpu') };
}

/**
 * `loupe.endpoints` as written; src/remote/endpoint.ts parses it (zod stays out of the activation
 * shell, which imports this file). An untrusted workspace cannot add servers images go to.
 */
export function endpointsSetting(): unknown[] {
  const config = vscode.workspace.getConfiguration(SECTION);
  const raw = vscode.workspace.isTrusted ? config.get<unknown[]>('endpoints', []) : (config.inspect<unknown[]>('endpoints')?.globalValue ?? []);
  return Array.isArray(raw) ? raw : [];
}

/** `loupe.answerFrom`: the endpoint name answers come from; empty for the model on this machine. */
export function answerFromSetting(): string {
  return restrictedSetting('answerFrom');
}

/** Adds or replaces an endpoint (by name) in the user's settings, and answers from it. */
export async function saveEndpoint(endpoint: Endpoint): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const user = (config.inspect<Endpoint[]>('endpoints')?.globalValue ?? []).filter((entry) => entry?.name !== endpoint.name);
  await config.update('endpoints', [...user, endpoint], vscode.ConfigurationTarget.Global);
}
