/**
 * Checks that a folder holds a model the engine can load, as src/modelFolder/modelLayout.ts describes
 * it: the root files transformers.js reads, a chat template, graphs in `onnx/` under a name
 * transformers.js (or a known alias) gives them, every graph's input/output names matching the
 * architecture contract, and every external-data reference staying inside the folder. Used by
 * offline import before anything is copied and again on the copy, and after a download, before
 * a model is marked installed.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep, win32 } from 'node:path';
import { findChatTemplate } from './chatTemplate';
import { checkGraphIo, textModelFacts } from './contracts';
import { ModelError } from './modelErrors';
import {
  architectureForModelType,
  CHAT_TEMPLATE_FILES,
  findGraphFiles,
  missingGraphsProblem,
  requiredRootFiles,
  SUPPORTED_MODEL_TYPES,
  type Architecture,
  type FoundGraph,
} from './modelLayout';
import { OnnxFormatError, readOnnxHeader, type ExternalDataRef } from './onnxHeader';
import { nestedPreprocessorConfig, PREPROCESSOR_CONFIG } from './processorConfig';

export interface GraphFile extends FoundGraph {
  /** Folder-relative external-data files the graph reads. */
  externalData: string[];
}

export interface ModelFolderReport {
  architecture: Architecture;
  /** Every graph found (or the ones asked for), with the name each is stored under. */
  graphs: GraphFile[];
}

export interface ValidateOptions {
  /** The architecture the caller expects (from a manifest); a different config.json is an error. */
  architecture?: Architecture;
  /** Check exactly these graphs (a download's precision); otherwise every graph found in onnx/. */
  graphs?: FoundGraph[];
}

/** Throws INVALID_MODEL listing every problem, each prefixed with the file it concerns. */
export async function validateModelFolder(root: string, options: ValidateOptions = {}): Promise<ModelFolderReport> {
  const problems: string[] = [];
  const config = await readConfig(root, problems);
  const architecture = architectureForModelType(config?.model_type);
  if (config && !architecture) {
    problems.push(`config.json: model_type "${String(config.model_type)}" is not a supported architecture (${SUPPORTED_MODEL_TYPES.join(', ')})`);
  } else if (architecture && options.architecture && architecture !== options.architecture) {
    problems.push(`config.json: model_type "${String(config?.model_type)}" is ${architecture}, but this model is ${options.architecture}`);
  }
  const checkedArchitecture = options.architecture ?? architecture;
  for (const file of requiredRootFiles(checkedArchitecture ?? 'lfm2-vl').filter((f) => f !== 'config.json')) {
    if (await isFile(join(root, file))) continue;
    // Written from processor_config.json at install (src/modelFolder/processorConfig.ts).
    if (file === PREPROCESSOR_CONFIG && (await nestedPreprocessorConfig(root))) continue;
    problems.push(`${file}: missing`);
  }
  if ((await isFile(join(root, 'tokenizer_config.json'))) && !(await findChatTemplate(root))) {
    problems.push(`tokenizer_config.json: no chat_template, and no ${CHAT_TEMPLATE_FILES.join(' or ')} either`);
  }

  const candidates = options.graphs ?? (await findGraphs(root, problems));
  const graphs: GraphFile[] = [];
  const facts = textModelFacts(config);
  for (const candidate of candidates) {
    const path = join(root, candidate.path);
    let header;
    try {
      header = await readOnnxHeader(path);
    } catch (error) {
      const reason = error instanceof OnnxFormatError ? error.message.replace(`${path} `, '') : (error as Error).message;
      problems.push(`${candidate.path}: ${reason}`);
      continue;
    }
    if (checkedArchitecture) {
      for (const problem of checkGraphIo(checkedArchitecture, candidate.graph, header, facts)) {
        problems.push(`${candidate.path} (${candidate.graph}): ${problem}`);
      }
    }
    const externalData = await checkExternalData(root, candidate.path, header.externalData, problems);
    graphs.push({ ...candidate, externalData });
  }

  if (problems.length > 0 || !checkedArchitecture) {
    throw new ModelError('INVALID_MODEL', `The model in ${root} is not usable:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return { architecture: checkedArchitecture, graphs };
}

async function readConfig(root: string, problems: string[]): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    // A FIFO or device named config.json would block readFile forever.
    if (!(await isFile(join(root, 'config.json')))) throw new Error('not a file');
    text = await readFile(join(root, 'config.json'), 'utf8');
  } catch {
    problems.push('config.json: missing or not a regular file');
    return undefined;
  }
  try {
    const json: unknown = JSON.parse(text);
    if (json && typeof json === 'object' && !Array.isArray(json)) return json as Record<string, unknown>;
    problems.push('config.json: not a JSON object');
  } catch (error) {
    problems.push(`config.json: not valid JSON (${(error as Error).message})`);
  }
  return undefined;
}

/** Every graph file in onnx/ under a known spelling; each graph needs at least one. */
async function findGraphs(root: string, problems: string[]): Promise<FoundGraph[]> {
  const paths = [...(await fileNames(root, '')), ...(await fileNames(root, 'onnx'))];
  const problem = missingGraphsProblem(paths);
  if (problem) {
    const atRoot = paths.some((path) => !path.includes('/') && path.endsWith('.onnx'));
    problems.push(`onnx/: ${problem}${atRoot ? ' (transformers.js expects graphs in an onnx/ subfolder)' : ''}`);
  }
  return findGraphFiles(paths);
}

/**
 * A location must be a plain relative path: onnxruntime resolves it against the graph's folder,
 * so an absolute path or a `..` segment could make it read any file on the machine.
 */
export function externalDataLocationProblem(location: string): string | undefined {
  if (location.length === 0) return 'an empty location';
  if (location.includes('\0')) return 'a location with a NUL character';
  if (isAbsolute(location) || win32.isAbsolute(location)) return `an absolute location "${location}"`;
  if (location.split(/[\\/]/).includes('..')) return `a location with ".." ("${location}")`;
  return undefined;
}

async function checkExternalData(root: string, graphFile: string, refs: ExternalDataRef[], problems: string[]): Promise<string[]> {
  const files: string[] = [];
  const realRoot = await realpath(root);
  const byLocation = new Map<string, ExternalDataRef[]>();
  for (const ref of refs) byLocation.set(ref.location, [...(byLocation.get(ref.location) ?? []), ref]);
  for (const [location, tensors] of byLocation) {
    const unsafe = externalDataLocationProblem(location);
    if (unsafe) {
      problems.push(`${graphFile}: tensor "${tensors[0]?.tensor}" has external data at ${unsafe}; external data must stay inside the model folder`);
      continue;
    }
    const target = resolve(root, dirname(graphFile), location);
    let size: number;
    try {
      // realpath also catches a symlink that leads out of the folder.
      const real = await realpath(target);
      if (!isInside(realRoot, real) && !isInside(huggingFaceBlobs(realRoot), real)) {
        problems.push(`${graphFile}: external data "${location}" resolves outside the model folder`);
        continue;
      }
      const info = await stat(real);
      if (!info.isFile()) throw new Error('not a file');
      size = info.size;
    } catch {
      problems.push(`${graphFile}: external data file "${location}" is missing`);
      continue;
    }
    for (const ref of tensors) {
      const end = ref.offset + (ref.length ?? 0);
      if (!Number.isFinite(end) || ref.offset < 0 || end > size) {
        problems.push(`${graphFile}: tensor "${ref.tensor}" reads bytes ${ref.offset}..${end} of "${location}", which has only ${size} bytes`);
      }
    }
    files.push(relative(root, target).split(sep).join('/'));
  }
  return files;
}

/**
 * A Hugging Face cache snapshot (`models--org--name/snapshots/<commit>/`) holds links into its
 * repository's `blobs/` folder; those links are the snapshot's own content, not an escape.
 */
function huggingFaceBlobs(realRoot: string): string {
  return basename(dirname(realRoot)) === 'snapshots' ? join(dirname(dirname(realRoot)), 'blobs') : realRoot;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Names of the files (and links to files) in `root/sub`, folder-relative with forward slashes. */
async function fileNames(root: string, sub: string): Promise<string[]> {
  const entries = await readdir(join(root, sub), { withFileTypes: true }).catch(() => []);
  const names = entries.filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => (sub ? `${sub}/${e.name}` : e.name));
  const files = [];
  for (const name of names) if (await isFile(join(root, name))) files.push(name);
  return files;
}
