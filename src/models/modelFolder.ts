/**
 * Checks that a folder holds a model the engine can load: transformers.js layout (config and
 * tokenizer files at the root, graphs in `onnx/`), every graph's input/output names matching the
 * architecture contract, and every external-data reference staying inside the folder. Used by
 * offline import and again after a download, before a model is marked installed.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep, win32 } from 'node:path';
import { architectureForModelType, checkGraphIo, textModelFacts } from './contracts';
import { ModelError } from './errors';
import { DTYPE_FILE_SUFFIX, DTYPES, GRAPH_NAMES, type Architecture, type Dtype, type GraphName } from './manifest';
import { OnnxFormatError, readOnnxHeader, type ExternalDataRef } from './onnxHeader';

export interface GraphFile {
  graph: GraphName;
  dtype: Dtype;
  /** Folder-relative, forward slashes. */
  file: string;
  /** Folder-relative external-data files the graph reads. */
  externalData: string[];
}

export interface ModelFolderReport {
  architecture: Architecture;
  graphs: GraphFile[];
}

const REQUIRED_ROOT_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];
const PROCESSOR_FILES = ['preprocessor_config.json', 'processor_config.json'];

export interface ValidateOptions {
  /** The architecture the caller expects (from a manifest); a different config.json is an error. */
  architecture?: Architecture;
  /** Check exactly these graphs (a download's precision); otherwise every graph found in onnx/. */
  graphs?: Array<{ graph: GraphName; dtype: Dtype; file: string }>;
}

/** Throws INVALID_MODEL listing every problem, each prefixed with the file it concerns. */
export async function validateModelFolder(root: string, options: ValidateOptions = {}): Promise<ModelFolderReport> {
  const problems: string[] = [];
  const config = await readConfig(root, problems);
  const architecture = architectureForModelType(config?.model_type);
  if (config && !architecture) {
    problems.push(`config.json: model_type "${String(config.model_type)}" is not a supported architecture (lfm2_vl, idefics3)`);
  } else if (architecture && options.architecture && architecture !== options.architecture) {
    problems.push(`config.json: model_type "${String(config?.model_type)}" is ${architecture}, but this model is ${options.architecture}`);
  }
  for (const file of REQUIRED_ROOT_FILES.filter((f) => f !== 'config.json')) {
    if (!(await isFile(join(root, file)))) problems.push(`${file}: missing`);
  }
  if (!(await anyFile(root, PROCESSOR_FILES))) problems.push(`${PROCESSOR_FILES.join(' or ')}: missing`);

  const candidates = options.graphs ?? (await findGraphs(root, problems));
  const graphs: GraphFile[] = [];
  const facts = textModelFacts(config);
  const checkedArchitecture = options.architecture ?? architecture;
  for (const candidate of candidates) {
    const path = join(root, candidate.file);
    let header;
    try {
      header = await readOnnxHeader(path);
    } catch (error) {
      const reason = error instanceof OnnxFormatError ? error.message.replace(`${path} `, '') : (error as Error).message;
      problems.push(`${candidate.file}: ${reason}`);
      continue;
    }
    if (checkedArchitecture) {
      for (const problem of checkGraphIo(checkedArchitecture, candidate.graph, header, facts)) {
        problems.push(`${candidate.file} (${candidate.graph}): ${problem}`);
      }
    }
    const externalData = await checkExternalData(root, candidate.file, header.externalData, problems);
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
    text = await readFile(join(root, 'config.json'), 'utf8');
  } catch {
    problems.push('config.json: missing');
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

/** Every `onnx/<graph><dtype suffix>.onnx` present; each graph needs at least one. */
async function findGraphs(root: string, problems: string[]): Promise<Array<{ graph: GraphName; dtype: Dtype; file: string }>> {
  const found: Array<{ graph: GraphName; dtype: Dtype; file: string }> = [];
  for (const graph of GRAPH_NAMES) {
    const before = found.length;
    for (const dtype of DTYPES) {
      const file = `onnx/${graph}${DTYPE_FILE_SUFFIX[dtype]}.onnx`;
      if (await isFile(join(root, file))) found.push({ graph, dtype, file });
    }
    if (found.length === before) {
      const atRoot = await isFile(join(root, `${graph}.onnx`));
      problems.push(`onnx/${graph}*.onnx: missing${atRoot ? ` (found ${graph}.onnx at the top level; transformers.js expects graphs in an onnx/ subfolder)` : ''}`);
    }
  }
  return found;
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
      if (!isInside(realRoot, real)) {
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

async function anyFile(root: string, names: string[]): Promise<boolean> {
  for (const name of names) if (await isFile(join(root, name))) return true;
  return false;
}
