/**
 * The model catalog in the words the extension's static files show: the `loupe.model.id` setting's
 * enum descriptions and the walkthrough's "Get a model" step (its description in package.json and
 * its table, media/walkthrough/get-model.md). Those files cannot import the catalog, so
 * test/unit/models/catalogText.test.ts checks them against these functions: sizes and licenses
 * have one owner, the manifests in models/.
 */
import { DEFAULT_MODEL_ID } from './catalog';
import { findPrecision, type ModelManifest } from './manifest';
import { formatBytes } from '../protocol/byteSizes';

const size = (manifest: ModelManifest) => `about ${formatBytes(findPrecision(manifest).approxDownloadBytes)}`;

/** "LFM2.5-VL 450M: about 770 MB, LFM Open License v1.0. The default: …" */
export function modelEnumDescription(manifest: ModelManifest): string {
  return `${manifest.label}: ${size(manifest)}, ${manifest.license.name}. ${manifest.summary}`;
}

/** The walkthrough step's text: size and license of the recommended and the smallest model, up front. */
export function getModelStepDescription(manifests: ModelManifest[]): string {
  const recommended = manifests.find((m) => m.id === DEFAULT_MODEL_ID) ?? manifests[0]!;
  const smallest = [...manifests].sort((a, b) => findPrecision(a).approxDownloadBytes - findPrecision(b).approxDownloadBytes)[0]!;
  const accept = (m: ModelManifest) => (m.license.requiresAcceptance ? ', which you accept before the download' : '');
  const sentences = [
    'Loupe answers with a vision model that runs on this machine, downloaded once and verified; after that it works offline.',
    `The recommended ${recommended.label} is ${size(recommended)} under the ${recommended.license.name}${accept(recommended)}.`,
    ...(smallest === recommended ? [] : [`The smallest, ${smallest.label}, is ${size(smallest)} under ${smallest.license.name}.`]),
    'Reading text off images needs no model.',
  ];
  // A line of its own: the walkthrough shows a command link alone on a line as a button.
  return `${sentences.join(' ')}\n[Choose a Model](command:loupe.selectModel)`;
}

/** The table beside the step: every model with size, speed and license. */
export function modelsTableMarkdown(manifests: ModelManifest[]): string {
  const rows = manifests.map((m) => {
    const name = m.id === DEFAULT_MODEL_ID ? `**${m.label}** (recommended)` : m.label;
    const license = m.license.url ? `[${m.license.name}](${m.license.url})` : m.license.name;
    return `| ${name} | ${size(m)} | ${m.speed} | ${license} |`;
  });
  return [
    '<!-- Generated from models/*.json by src/models/catalogText.ts; test/unit/models/catalogText.test.ts keeps it in step. -->',
    '# Models Loupe can download',
    '',
    '| model | download | speed | license |',
    '|---|---|---|---|',
    ...rows,
    '',
    ...[...new Set(manifests.filter((m) => m.license.requiresAcceptance).map((m) => m.license.name))].map((name) => `Models under the ${name} ask you to accept it before they download.`),
    'Each download shows where it comes from, its size and its license before anything is fetched, is resumed after interruptions and verified against SHA-256.',
    'Already have a model folder? Use **Loupe: Import Model from Folder…** or the `loupe.model.path` setting.',
    '',
  ].join('\n');
}
