/**
 * API keys of model servers, in VS Code's SecretStorage (the OS keychain), one per endpoint name:
 * never in settings files, logs or messages.
 */
import type * as vscode from 'vscode';

const PREFIX = 'loupe.endpointKey.';

export class EndpointKeys {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  get(endpointName: string): Thenable<string | undefined> {
    return this.secrets.get(PREFIX + endpointName);
  }

  async set(endpointName: string, key: string | undefined): Promise<void> {
    if (key?.trim()) await this.secrets.store(PREFIX + endpointName, key.trim());
    else await this.secrets.delete(PREFIX + endpointName);
  }
}
