/**
 * What a user needs to pick a model: size, relative speed, license, what it is good at, and
 * whether it is installed. The CLI prints it; the extension's pickers and the panel's first-run
 * view render the same data.
 */
import { DEFAULT_MODEL_ID } from '../catalog/catalog';
import { downloadSize, findPrecision, sizeText, type ModelManifest } from '../catalog/manifest';
import type { InstalledModel } from './store';

export interface ModelChoice {
  id: string;
  label: string;
  parameters: string;
  summary: string;
  goodAt: string[];
  speed: ModelManifest['speed'];
  recommended: boolean;
  license: ModelManifest['license'];
  hub: ModelManifest['hub'];
  defaultPrecision: string;
  /** Bytes of the default precision: exact where public evidence gives every file's size. */
  downloadBytes: number;
  /** "808.8 MB" when exact, "about 1.9 GB" when estimated. */
  sizeText: string;
  /** Why the default precision is not offered (no public evidence of its files); undefined when it is. */
  unproven?: string;
  precisions: Array<{ id: string; label: string; downloadBytes: number; sizeText: string; unproven?: string }>;
  /** `precision` is the one the engine loads; `precisions` all that are installed. */
  installed?: { revision: string; precision: string; precisions: string[]; dir: string; source: 'hub' | 'import' };
}

/** How the pickers and `loupe models list` mark a model or precision that is not offered. */
export const UNPROVEN_NOTE = '(unproven)';

export function modelChoices(manifests: ModelManifest[], installed: InstalledModel[]): ModelChoice[] {
  return manifests.map((manifest) => {
    const precision = findPrecision(manifest);
    const install = installed.find((model) => model.modelId === manifest.id);
    return {
      id: manifest.id,
      label: manifest.label,
      parameters: manifest.parameters,
      summary: manifest.summary,
      goodAt: manifest.goodAt,
      speed: manifest.speed,
      recommended: manifest.id === DEFAULT_MODEL_ID,
      license: manifest.license,
      hub: manifest.hub,
      defaultPrecision: precision.id,
      downloadBytes: downloadSize(manifest, precision).bytes,
      sizeText: sizeText(manifest, precision),
      unproven: precision.unproven,
      precisions: manifest.precisions.map((p) => ({ id: p.id, label: p.label, downloadBytes: downloadSize(manifest, p).bytes, sizeText: sizeText(manifest, p), unproven: p.unproven })),
      installed: install && {
        revision: install.revision,
        precision: install.marker.precision,
        precisions: install.marker.precisions.map((p) => p.id),
        dir: install.dir,
        source: install.marker.source,
      },
    };
  });
}

/** "LFM Open License v1.0 (you accept it before download)" / "Apache-2.0" */
export function licenseText(license: ModelManifest['license']): string {
  return license.requiresAcceptance ? `${license.name} (you accept it before download)` : license.name;
}

/** One screen for someone with no model yet: the choice, the trade-offs, the command to run. */
export function firstRunText(choices: ModelChoice[], command = 'loupe models download'): string {
  const lines = [
    'No model is installed yet.',
    'Loupe answers questions about images with a vision-language model that runs on this machine.',
    'Download one once (it is verified and kept); after that Loupe works offline.',
    '',
  ];
  const idWidth = Math.max(...choices.map((c) => c.id.length));
  for (const choice of choices) {
    const tag = choice.recommended ? ' (recommended)' : '';
    lines.push(`  ${choice.id.padEnd(idWidth)}  ${(choice.unproven ? 'not offered' : choice.sizeText).padEnd(15)} ${choice.speed.padEnd(8)} ${licenseText(choice.license)}`);
    lines.push(`  ${' '.repeat(idWidth)}  ${choice.label}${tag}: ${choice.summary}`);
    if (choice.unproven) lines.push(`  ${' '.repeat(idWidth)}  ${UNPROVEN_NOTE} ${choice.unproven}`);
  }
  const recommended = choices.find((c) => c.recommended) ?? choices[0];
  if (recommended) {
    lines.push('', 'To start with the recommended model:');
    lines.push(`  ${command} ${recommended.id}${recommended.license.requiresAcceptance ? ' --accept-license' : ''}`);
    if (recommended.license.requiresAcceptance) lines.push(`  (read the ${recommended.license.name} first: ${recommended.license.url})`);
  }
  lines.push('Already have a model folder? loupe models import <folder>');
  return `${lines.join('\n')}\n`;
}
