/**
 * The models Loupe offers. The JSON manifests are imported (not read from disk at run time) so the
 * bundles for the extension and the CLI carry them; they are still validated on first use.
 */
import lfm25Vl450m from '../../models/lfm2.5-vl-450m.json';
import lfm25Vl16b from '../../models/lfm2.5-vl-1.6b.json';
import lfm2Vl450m from '../../models/lfm2-vl-450m.json';
import lfm2Vl16b from '../../models/lfm2-vl-1.6b.json';
import smolvlm256m from '../../models/smolvlm-256m.json';
import { ModelError } from '../modelFolder/modelErrors';
import { parseManifest, type ModelManifest } from './manifest';
import type { Architecture } from '../modelFolder/modelLayout';

export const DEFAULT_MODEL_ID = 'lfm2.5-vl-450m';

const SOURCES: ReadonlyArray<[file: string, json: unknown]> = [
  ['models/lfm2.5-vl-450m.json', lfm25Vl450m],
  ['models/lfm2.5-vl-1.6b.json', lfm25Vl16b],
  ['models/lfm2-vl-450m.json', lfm2Vl450m],
  ['models/lfm2-vl-1.6b.json', lfm2Vl16b],
  ['models/smolvlm-256m.json', smolvlm256m],
];

let cached: ModelManifest[] | undefined;

/** All manifests, default model first. Throws MANIFEST_INVALID naming the file if one is broken. */
export function listManifests(): ModelManifest[] {
  cached ??= SOURCES.map(([file, json]) => parseManifest(json, file));
  return cached;
}

export function findManifest(id: string): ModelManifest | undefined {
  return listManifests().find((manifest) => manifest.id === id);
}

export function getManifest(id: string): ModelManifest {
  const manifest = findManifest(id);
  if (!manifest) {
    const known = listManifests().map((m) => m.id).join(', ');
    throw new ModelError('UNKNOWN_MODEL', `Unknown model "${id}". Known models: ${known}.`);
  }
  return manifest;
}

/**
 * The sampling a family's makers recommend (its manifests' `sampling`; they agree within a family,
 * test/unit/catalog/manifest.test.ts): what the engine uses for any folder of that architecture,
 * an imported or `--model` one included, unless the request overrides it.
 */
export function recommendedSampling(architecture: Architecture): Omit<ModelManifest['sampling'], 'source'> {
  const manifest = listManifests().find((m) => m.architecture === architecture);
  if (!manifest) throw new ModelError('MANIFEST_INVALID', `No manifest describes the ${architecture} family.`);
  const { temperature, minP, repetitionPenalty } = manifest.sampling;
  return { temperature, minP, repetitionPenalty };
}

/**
 * Whether a family documents a box answer (its manifests' `grounding`; they agree within a family,
 * test/unit/catalog/manifest.test.ts): the engine refuses Find for a family that does not.
 */
export function findsBoxes(architecture: Architecture): boolean {
  return listManifests().some((m) => m.architecture === architecture && m.grounding !== undefined);
}
