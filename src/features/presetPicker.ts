import * as vscode from 'vscode';
import { PRESET_NAMES, PRESETS } from '../protocol/options';
import type { Settings } from '../host/settings';

/** "Loupe: Select Speed/Detail Preset": the same setting, written the same way, as the panel's selector. */
export function registerPresetPicker(context: vscode.ExtensionContext, settings: Settings): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('loupe.selectPreset', async () => {
      const current = settings.preset;
      const picked = await vscode.window.showQuickPick(
        PRESET_NAMES.map((name) => {
          const { vision, maxNewTokens } = PRESETS[name];
          const tiles = vision.doImageSplitting ? `up to ${vision.maxTiles} tiles + thumbnail` : 'one tile';
          return {
            label: name,
            description: name === current ? 'current' : undefined,
            detail: `${tiles}, ≤${vision.maxImageTokens} image tokens per tile, answers up to ${maxNewTokens} tokens`,
          };
        }),
        { title: 'Loupe: speed/detail preset' },
      );
      if (picked) await settings.write('preset', picked.label);
    }),
  );
}
