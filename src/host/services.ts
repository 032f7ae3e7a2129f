import type * as vscode from 'vscode';
import type { EngineClient } from '../client/engineClient';
import type { Settings } from './settings';
import type { VisionModels } from './visionModels';

/** What feature modules get from activation; created lazily, nothing here loads a model. */
export interface LoupeServices {
  engine: EngineClient;
  /** Folder of the model to use, or undefined when none is installed/configured. */
  resolveModelDir(): Promise<string | undefined>;
  /** The model answers come from: a server (`loupe.answerFrom`) or the one on this machine. */
  visionModels: VisionModels;
  log: vscode.LogOutputChannel;
  settings: Settings;
}
