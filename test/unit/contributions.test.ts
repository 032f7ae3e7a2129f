/**
 * What package.json contributes and users see before any code runs: settings in a set order with
 * descriptions that link only to real commands, menus that name real commands, the Explorer's
 * "Loupe" submenu, and a walkthrough whose media ship in the VSIX and whose steps can complete.
 * (The model catalog's copies are checked in test/unit/catalog/catalogText.test.ts.)
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';

interface Setting {
  order?: number;
  description?: string;
  markdownDescription?: string;
  enum?: unknown[];
  enumDescriptions?: string[];
}
interface Manifest {
  capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
  contributes: {
    commands: { command: string; title: string }[];
    submenus: { id: string; label: string }[];
    menus: Record<string, { command?: string; submenu?: string; when?: string; group?: string }[]>;
    configuration: { properties: Record<string, Setting> };
    walkthroughs: { id: string; steps: { id: string; description: string; media: { markdown?: string; image?: string; altText?: string }; completionEvents: string[] }[] }[];
  };
}
const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as Manifest;
const { contributes } = manifest;
const commandIds = new Set(contributes.commands.map((c) => c.command));
// Commands of VS Code itself that Loupe links to.
const WORKBENCH_COMMANDS = new Set(['workbench.trust.manage']);
// Loupe's commands registered in code only (the quick fixes run them), not in the palette.
const CODE_ONLY_COMMANDS = new Set(['loupe.altText.generateForImage']);
const linkedCommands = (markdown: string) => [...markdown.matchAll(/\]\(command:([\w.]+)\)/g)].map((match) => match[1]!);

describe('settings', () => {
  const settings = Object.entries(contributes.configuration.properties);

  it('every setting has an order, so the Settings editor shows the model first', () => {
    for (const [key, setting] of settings) assert.equal(typeof setting.order, 'number', `${key} has no order`);
    const byOrder = [...settings].sort(([, a], [, b]) => a.order! - b.order!).map(([key]) => key);
    assert.deepEqual(byOrder.slice(0, 2), ['loupe.model.id', 'loupe.model.path']);
  });

  it('every setting is described, and command links name real commands', () => {
    for (const [key, setting] of settings) {
      const text = setting.markdownDescription ?? setting.description;
      assert.ok(text && text.length > 10, `${key} has a description`);
      for (const command of linkedCommands(text)) assert.ok(commandIds.has(command) || WORKBENCH_COMMANDS.has(command), `${key} links to ${command}`);
      if (setting.enum) assert.equal(setting.enumDescriptions?.length, setting.enum.length, `${key}: one description per value`);
    }
    assert.deepEqual(linkedCommands(contributes.configuration.properties['loupe.model.id']!.markdownDescription ?? ''), ['loupe.selectModel', 'loupe.showModelInfo']);
  });

  it("restricted settings are the ones src/host/settings.ts reads user-only in Restricted Mode", () => {
    const source = readFileSync('src/host/settings.ts', 'utf8');
    const list = /RESTRICTED_SETTINGS = \[([^\]]*)\]/.exec(source)?.[1] ?? '';
    const keys = [...list.matchAll(/'([\w.]+)'/g)].map((match) => `loupe.${match[1]}`);
    assert.deepEqual(keys.sort(), [...manifest.capabilities.untrustedWorkspaces.restrictedConfigurations].sort());
  });
});

describe('menus', () => {
  it('name only contributed commands and submenus', () => {
    const submenus = new Set(contributes.submenus.map((s) => s.id));
    for (const [menu, items] of Object.entries(contributes.menus)) {
      if (menu !== 'commandPalette' && !menu.includes('/')) assert.ok(submenus.has(menu), `${menu} is a contributed submenu`);
      for (const item of items) {
        if (item.command) assert.ok(commandIds.has(item.command), `${menu}: ${item.command}`);
        else assert.ok(item.submenu && submenus.has(item.submenu), `${menu}: ${item.submenu}`);
      }
    }
  });

  it('the Explorer shows one "Loupe" submenu with the image tasks and Compare Images, not six flat entries', () => {
    const explorer = contributes.menus['explorer/context']!;
    assert.deepEqual(explorer.map((item) => item.submenu ?? item.command), ['loupe.explorerContext']);
    assert.equal(contributes.submenus.find((s) => s.id === 'loupe.explorerContext')?.label, 'Loupe');
    assert.deepEqual(
      contributes.menus['loupe.explorerContext']!.map((item) => item.command),
      ['loupe.askAboutImage', 'loupe.explainScreenshot', 'loupe.describeDiagram', 'loupe.generateAltText', 'loupe.extractText', 'loupe.compareImages'],
    );
  });

  it('the palette hides commands where they cannot run, and keeps the task commands (they ask for an image)', () => {
    const palette = new Map(contributes.menus.commandPalette!.map((item) => [item.command, item.when]));
    assert.equal(palette.get('loupe.explainClipboardScreenshot'), 'loupe.clipboardImageReader');
    for (const task of ['loupe.askAboutImage', 'loupe.explainScreenshot', 'loupe.describeDiagram', 'loupe.generateAltText', 'loupe.extractText', 'loupe.compareImages']) {
      assert.equal(palette.get(task), undefined, `${task} is always in the palette`);
    }
  });
});

describe('walkthrough', () => {
  const [walkthrough] = contributes.walkthroughs;

  it('has the four steps, in order', () => {
    assert.deepEqual(walkthrough!.steps.map((step) => step.id), ['getModel', 'askScreenshot', 'fixAltText', 'extractText']);
  });

  it('ships its media and the images they show (.vscodeignore keeps media/)', () => {
    assert.match(readFileSync('.vscodeignore', 'utf8'), /^!media\/\*\*$/m);
    for (const step of walkthrough!.steps) {
      const file = step.media.markdown ?? step.media.image!;
      assert.ok(existsSync(file), `${step.id}: ${file}`);
      if (step.media.image) assert.ok(step.media.altText, `${step.id} has alt text`);
      if (step.media.markdown) {
        for (const [, src] of readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '').matchAll(/!\[[^\]]+\]\(([^)]+)\)/g)) assert.ok(existsSync(join(dirname(file), src!)), `${file} shows ${src}`);
      }
    }
  });

  it('each step has a button that runs a real command and a way to complete', () => {
    for (const step of walkthrough!.steps) {
      const buttons = linkedCommands(step.description);
      assert.ok(buttons.length > 0, `${step.id} has a button`);
      for (const command of buttons) assert.ok(commandIds.has(command), `${step.id}: ${command}`);
      assert.ok(step.completionEvents.length > 0, step.id);
      for (const event of step.completionEvents) {
        const command = /^onCommand:(.+)$/.exec(event)?.[1];
        if (command) assert.ok(commandIds.has(command) || CODE_ONLY_COMMANDS.has(command), `${step.id}: ${event}`);
        else assert.match(event, /^onContext:loupe\.\w+$/, `${step.id}: ${event}`);
      }
    }
  });

  it('its context keys are set by the code', () => {
    const sources = ['src/features/modelStatus.ts', 'src/features/imageCommands.ts'].map((file) => readFileSync(file, 'utf8')).join('\n');
    for (const step of walkthrough!.steps) {
      for (const event of step.completionEvents.filter((e) => e.startsWith('onContext:'))) {
        assert.ok(sources.includes(`'${event.slice('onContext:'.length)}'`), `${event} is set somewhere`);
      }
    }
  });
});
