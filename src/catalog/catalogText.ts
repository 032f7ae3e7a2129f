/**
 * The model catalog in the words the extension's static files show: the `loupe.model.id` setting's
 * description, the walkthrough's "Get a model" step (its description in package.json and
 * its table, media/walkthrough/get-model.md) and the evidence section of docs/models.md. Those
 * files cannot import the catalog, so test/unit/catalog/catalogText.test.ts checks them against
 * these functions: sizes, licenses and evidence have one owner, the manifests in models/.
 */
import { DEFAULT_MODEL_ID } from './catalog';
import { formatBytes } from '../protocol/byteSizes';
import { downloadSize, findPrecision, precisionFiles, sizeText as size, type ModelManifest } from './manifest';
import { GRAPH_NAMES } from '../modelFolder/modelLayout';

/**
 * `loupe.model.id`'s description. The setting is text, not a list: VS Code's Settings editor shows a
 * value outside a list as the list's first entry, and a model imported under its own name is one.
 */
export function modelIdSettingDescription(manifests: ModelManifest[]): string {
  const rows = manifests.map((m) => {
    const unproven = findPrecision(m).unproven;
    return `- \`${m.id}\`: ${m.label}, ${unproven ? 'not offered for download' : size(m)}, ${m.license.name}${m.id === DEFAULT_MODEL_ID ? ' (the default)' : ''}`;
  });
  return [
    'The id of the model Loupe answers with. [Select Model](command:loupe.selectModel) sets it: it downloads (after showing size and license), imports or switches models, and shows the id of each model you imported. [Show Model Info](command:loupe.showModelInfo) says which folder is in use. `#loupe.model.path#` takes precedence when set.',
    '',
    'Models Loupe can download:',
    ...rows,
  ].join('\n');
}

/** The walkthrough step's text: size and license of the recommended and the smallest model, up front. */
export function getModelStepDescription(manifests: ModelManifest[]): string {
  const recommended = manifests.find((m) => m.id === DEFAULT_MODEL_ID) ?? manifests[0]!;
  const smallest = [...manifests].filter((m) => !findPrecision(m).unproven).sort((a, b) => downloadSize(a).bytes - downloadSize(b).bytes)[0]!;
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
    return `| ${name} | ${findPrecision(m).unproven ? 'not offered (unproven)' : size(m)} | ${m.speed} | ${license} |`;
  });
  return [
    '<!-- Generated from models/*.json by src/catalog/catalogText.ts; test/unit/catalog/catalogText.test.ts keeps it in step. -->',
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

const SESSION_WORDS = { vision_encoder: 'vision', embed_tokens: 'embeddings', decoder_model_merged: 'decoder' } as const;

/** docs/models.md's evidence section: per model and precision, the files, their size, whether offered, and the sources. */
export function evidenceMarkdown(manifests: ModelManifest[]): string {
  const sections = manifests.map((m) => {
    const revision = `${m.hub.revisionKind} \`${m.hub.revisionKind === 'commit' ? `${m.hub.revision.slice(0, 12)}…` : m.hub.revision}\``;
    const rows = m.precisions.map((p) => {
      const files = precisionFiles(m, p);
      const graphs = GRAPH_NAMES.map((graph) => {
        const graphFile = files.graphs[graph];
        if (!graphFile) return `${SESSION_WORDS[graph]}: none shown`;
        const data = files.files.filter((f) => f.path !== graphFile && f.path.startsWith(graphFile));
        return `${SESSION_WORDS[graph]}: \`${graphFile.slice('onnx/'.length)}\`${data.map((f) => ` + \`${f.path.slice(graphFile.length)}\``).join('')}`;
      });
      const { bytes, exact } = downloadSize(m, p);
      const size = exact ? `${bytes.toLocaleString('en-US')} bytes` : `about ${formatBytes(bytes)} (estimate)`;
      const status = p.unproven ? `**not offered**: ${p.unproven}` : 'offered';
      return `| ${p.id}${p.id === m.defaultPrecision ? ' (default)' : ''} | ${graphs.join('<br>')} | ${size} | ${status} |`;
    });
    const { temperature, minP, repetitionPenalty, source } = m.sampling;
    return [
      `### ${m.label}: \`${m.hub.repo}\`, ${revision}`,
      '',
      '| precision | graphs and their external data | download | status |',
      '|---|---|---|---|',
      ...rows,
      '',
      `Sampling: temperature ${temperature}, min-p ${minP}, repetition penalty ${repetitionPenalty}. ${source}`,
      '',
      'Evidence:',
      ...m.evidence.sources.map((source) => `- ${source}`),
      '',
    ].join('\n');
  });
  return ['<!-- Generated from models/*.json by src/catalog/catalogText.ts (evidenceMarkdown); test/unit/catalog/catalogText.test.ts keeps it in step. -->', '', ...sections].join('\n');
}
