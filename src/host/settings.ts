import * as vscode from 'vscode';
import type { PresetName } from '../protocol/options';
import type { Isolation } from './engineClient';

/** Typed reads of Loupe's settings (package.json `contributes.configuration`). */
export function loupeSettings() {
  const config = vscode.workspace.getConfiguration('loupe');
  return {
    preset: config.get<PresetName>('preset', 'balanced'),
    isolation: config.get<Isolation>('engine.isolation', 'thread'),
    idleUnloadMs: Math.max(0, config.get<number>('engine.idleUnloadMinutes', 10)) * 60_000,
    ocrGrounding: config.get<boolean>('ocr.groundPrompts', true),
    altTextMaxLength: config.get<number>('altText.maxLength', 125),
    altTextLanguage: config.get<string>('altText.language', ''),
  };
}
