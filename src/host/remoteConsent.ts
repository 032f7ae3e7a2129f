/**
 * The editor's consent before the first image goes to a host other than this machine: a modal
 * that names the host and the endpoint, asked once per endpoint and host (a changed URL asks
 * again), remembered per user on this machine.
 */
import * as vscode from 'vscode';
import { endpointLocation, type Endpoint } from '../remote/endpoint';
import type { ConsentPrompt } from '../remote/serverConnection';

const KEY_PREFIX = 'loupe.remoteConsent.';

/** Per server name and host[:port]: renaming a server or moving it to another host asks again. */
const consentKey = (name: string, host: string) => `${KEY_PREFIX}${name}|${host}`;

/** Consent already given, never asked: for requests the user did not start (listing a configured server's models). */
export function givenConsent(globalState: vscode.Memento): ConsentPrompt {
  return async (target, endpoint) => globalState.get<boolean>(consentKey(endpoint.name, target.host)) === true;
}

export function editorConsent(globalState: vscode.Memento): ConsentPrompt {
  return async (target, endpoint) => {
    const key = consentKey(endpoint.name, target.host);
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

/** Consent given for a server under one name holds for it under the name the user then chose. */
export async function editorConsentCarry(globalState: vscode.Memento, from: Endpoint, to: Endpoint): Promise<void> {
  const { host } = endpointLocation(from);
  if (globalState.get<boolean>(consentKey(from.name, host))) await globalState.update(consentKey(to.name, host), true);
}
