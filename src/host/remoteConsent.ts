/**
 * The editor's consent before the first image goes to a host other than this machine: a modal
 * that names the host and the endpoint, asked once per endpoint and host (a changed URL asks
 * again), remembered per user on this machine.
 */
import * as vscode from 'vscode';
import type { Endpoint, EndpointTarget } from '../remote/endpoint';

const KEY_PREFIX = 'loupe.remoteConsent.';

export function editorConsent(globalState: vscode.Memento) {
  return async (target: EndpointTarget, endpoint: Endpoint): Promise<boolean> => {
    const key = `${KEY_PREFIX}${endpoint.name}|${target.host}`;
    if (globalState.get<boolean>(key)) return true;
    const send = `Send to ${target.host}`;
    const answer = await vscode.window.showWarningMessage(
      `Send images to ${target.host}?`,
      {
        modal: true,
        detail:
          `The model server "${endpoint.name}" is not on this machine. The images you ask about, your questions and the text ` +
          `around an image in your document will be sent to ${target.host}${target.url.protocol === 'http:' ? ' over plain http' : ''}. ` +
          'Loupe asks once for this server.',
      },
      send,
    );
    if (answer !== send) return false;
    await globalState.update(key, true);
    return true;
  };
}
