/**
 * The one owner of Loupe's settings (package.json `contributes.configuration`): typed reads with
 * the manifest's defaults, which changes need the engine reconfigured or restarted, and one write
 * rule. Features never call `getConfiguration('loupe')` themselves.
 */
import * as vscode from 'vscode';
import { DEFAULT_ALT_MAX_LENGTH } from '../protocol/altTextDefaults';
import { PRESET_NAMES, type PresetName } from '../protocol/presetNames';
import type { Isolation } from '../client/engineClient';

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

  /** A crash while loading in a thread pins this machine to process isolation, without touching synced settings. */
  get isolation(): Isolation {
    if (this.globalState.get<boolean>(CRASH_ISOLATION_KEY)) return 'process';
    return this.config.get<Isolation>('engine.isolation') === 'thread' ? 'thread' : 'process';
  }

  get idleUnloadMs(): number {
    return Math.max(0, this.config.get<number>('engine.idleUnloadMinutes', 10)) * 60_000;
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

/**
 * A restricted setting (package.json `restrictedConfigurations`): in an untrusted workspace VS Code
 * ignores the workspace's value, not the user's own, so the user value still counts there.
 */
function restrictedSetting(key: string): string {
  const config = vscode.workspace.getConfiguration(SECTION);
  if (vscode.workspace.isTrusted) return (config.get<string>(key) ?? '').trim();
  return (config.inspect<string>(key)?.globalValue ?? '').trim();
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
  return { affects, restartsEngine: affects('engine.isolation'), reconfiguresEngine: affects('engine.idleUnloadMinutes') };
}
