import type * as vscode from 'vscode';
import type { EngineClient } from '../client/engineClient';
import type { Settings } from './settings';

/** What feature modules get from activation; created lazily, nothing here loads a model. */
export interface LoupeServices {
  engine: EngineClient;
  /** Folder of the model to use, or undefined when none is installed/configured. */
  resolveModelDir(): Promise<string | undefined>;
  log: vscode.LogOutputChannel;
  settings: Settings;
}
