/**
 * The way in for a new user: "Loupe: Get Started" opens the walkthrough (package.json
 * `contributes.walkthroughs`), and the first start offers it once in a notification. Whatever the
 * answer, even none, it is never offered again (a flag in global state, which follows the user
 * across workspaces); `loupe.welcome.offerWalkthrough` turns the offer off altogether.
 */
import * as vscode from 'vscode';
import { offerWalkthroughSetting } from '../host/settings';

const WALKTHROUGH_ID = 'gettingStarted';
const OFFERED_KEY = 'loupe.welcome.offered';

export function registerWelcome(context: vscode.ExtensionContext): void {
  const open = () => vscode.commands.executeCommand('workbench.action.openWalkthrough', `${context.extension.id}#${WALKTHROUGH_ID}`, false);
  context.subscriptions.push(vscode.commands.registerCommand('loupe.openWalkthrough', open));
  if (context.globalState.get<boolean>(OFFERED_KEY) || !offerWalkthroughSetting()) return;
  const offer = () => {
    // Recorded before it shows: a window closed with the notification open does not bring it back.
    void context.globalState.update(OFFERED_KEY, true);
    void vscode.window
      .showInformationMessage('Loupe is installed: ask a vision model on this machine about screenshots, diagrams and charts.', 'Get Started')
      .then((answer) => answer && open());
  };
  // VS Code hides an information toast about 10 s after it shows in a focused window, so an offer
  // made while the user looks elsewhere goes straight to the notification centre: wait for focus.
  // The chat's no-model banner and the status bar's "no model" keep the way in after that.
  if (vscode.window.state.focused) return offer();
  const focus = vscode.window.onDidChangeWindowState((state) => {
    if (!state.focused) return;
    focus.dispose();
    offer();
  });
  context.subscriptions.push(focus);
}
