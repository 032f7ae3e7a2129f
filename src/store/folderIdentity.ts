/**
 * Which model a folder holds, from its config.json, so an import can suggest it instead of asking
 * cold: the family (`model_type`, else the `architectures` class), then the catalog model its
 * names point to. A name of the vision model itself ("LiquidAI/LFM2-VL-450M") settles it; else
 * the language model's name (`text_config._name_or_path`, "LiquidAI/LFM2-350M") gives its size,
 * which the manifests' `parameters` state ("450M (350M language model + …)"), and its generation
 * (LFM2 or LFM2.5). Nothing is guessed past what the names say: without them only the family is.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { listManifests } from '../catalog/catalog';
import type { ModelManifest } from '../catalog/manifest';
import { architectureForModelType, FAMILY_NAMES, type Architecture } from '../modelFolder/modelLayout';

export interface FolderIdentity {
  architecture?: Architecture;
  /** The family as people name it ("LFM2-VL"), when config.json names one Loupe runs. */
  family?: string;
  /** The one catalog model config.json points to. */
  manifest?: ModelManifest;
  /** The family's catalog models that fit what config.json says, when it does not settle on one. */
  candidates: ModelManifest[];
  /** What config.json says, as a sentence ("config.json says LFM2-VL with the LFM2-350M language model."). */
  said?: string;
}

/** Hugging Face class names of the architectures, for a config.json whose model_type is missing or spelt differently. */
const ARCHITECTURE_CLASSES: Record<string, Architecture> = {
  Lfm2VlForConditionalGeneration: 'lfm2-vl',
  Idefics3ForConditionalGeneration: 'smolvlm',
  SmolVLMForConditionalGeneration: 'smolvlm',
};

/** A real config.json is a few kilobytes; a folder picked for import is not trusted to be small. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads `<dir>/config.json`; a missing, unreadable or oversized one identifies nothing (the import's checks say why). */
export async function identifyModelFolder(dir: string, manifests: ModelManifest[] = listManifests()): Promise<FolderIdentity> {
  let config: unknown;
  try {
    const path = join(dir, 'config.json');
    const info = await stat(path);
    if (!info.isFile() || info.size > MAX_CONFIG_BYTES) return { candidates: [] };
    config = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return { candidates: [] };
  }
  return identifyModelConfig(config, manifests);
}

export function identifyModelConfig(config: unknown, manifests: ModelManifest[]): FolderIdentity {
  const root = record(config);
  const text = record(root.text_config);
  const architecture = architectureForModelType(root.model_type) ?? fromClasses(root.architectures);
  if (!architecture) return { candidates: [] };
  const family = FAMILY_NAMES[architecture];
  const inFamily = manifests.filter((m) => m.architecture === architecture);

  const modelNames = [root._name_or_path, root.name_or_path].filter((n): n is string => typeof n === 'string').map(normalName);
  const named = inFamily.filter((m) => modelNames.some((name) => namesModel(name, m)));
  if (named.length === 1) return { architecture, family, manifest: named[0], candidates: named, said: `config.json names ${named[0]!.label}.` };

  const languageName = typeof text._name_or_path === 'string' ? text._name_or_path : undefined;
  const language = languageName === undefined ? undefined : languageModel(normalName(languageName));
  if (!language) return { architecture, family, candidates: inFamily, said: `config.json says ${family}, not which size.` };
  // The folder's own words, shown in the picker: kept short.
  const said = `config.json says ${family} with the ${languageName!.split('/').pop()!.slice(0, 80)} language model.`;
  const sized = inFamily.filter((m) => languageSize(m) === language.size);
  const sameGeneration = sized.filter((m) => generation(m) === language.generation);
  const fits = sameGeneration.length > 0 ? sameGeneration : sized;
  return { architecture, family, manifest: fits.length === 1 ? fits[0] : undefined, candidates: fits.length > 0 ? fits : inFamily, said };
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function fromClasses(classes: unknown): Architecture | undefined {
  if (!Array.isArray(classes)) return undefined;
  const known = classes.find((name): name is string => typeof name === 'string' && Object.hasOwn(ARCHITECTURE_CLASSES, name));
  return known === undefined ? undefined : ARCHITECTURE_CLASSES[known];
}

/** "LiquidAI/LFM2.5-VL-450M-ONNX" → "lfm2.5-vl-450m-onnx": the repository part, lower case, dashes for spaces and underscores. */
function normalName(name: string): string {
  return (name.split('/').pop() ?? '').toLowerCase().replace(/[\s_]+/g, '-');
}

/** A model name that is this catalog model's label or repository name, whole or followed by a suffix ("-instruct", "-onnx"). */
function namesModel(name: string, manifest: ModelManifest): boolean {
  const keys = [normalName(manifest.label), normalName(manifest.hub.repo).replace(/-onnx$/, '')];
  return keys.some((key) => name === key || name.startsWith(`${key}-`));
}

/** "lfm2-350m" → LFM2 generation, 350M; "smollm2-135m-instruct" → 135M. */
function languageModel(name: string): { generation: string; size: string } | undefined {
  const match = /^(.*?)-(\d+(?:\.\d+)?[mb])(?:-|$)/.exec(name);
  return match ? { generation: match[1]!, size: match[2]! } : undefined;
}

/** The language model's size as the manifest states it: "450M (350M language model + …)" → "350m". */
function languageSize(manifest: ModelManifest): string | undefined {
  return /\((\d+(?:\.\d+)?[MB]) (?:\S+ )?language model/.exec(manifest.parameters)?.[1]?.toLowerCase();
}

/** "LFM2.5-VL 450M" → "lfm2.5": the generation its language models are named with. */
function generation(manifest: ModelManifest): string {
  return normalName(manifest.label).replace(/-vl.*$|vlm.*$/, '');
}
