/**
 * Fixtures too large to commit, generated on first use into test/fixtures/generated/ (ignored by
 * git) and regenerated when the scripts, the manifests or the committed tiny model change: the
 * tiny SmolVLM (scripts/gen_smolvlm_fixture.py) and the stand-in hub repositories of the catalog
 * (scripts/gen_hub_fixtures.py).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tinyModelDir } from './paths';

const PYTHON = '/usr/bin/python3';
const generatedDir = join(repoRoot, 'test', 'fixtures', 'generated');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function fingerprint(paths: string[]): string {
  const hash = createHash('sha256');
  for (const path of paths) hash.update(path).update(readFileSync(path));
  return hash.digest('hex');
}

function run(script: string, args: string[]): void {
  const result = spawnSync(PYTHON, [join('scripts', script), ...args], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${script} failed:\n${result.stdout}\n${result.stderr}`);
}

/** Generates into `dir` with `make` unless the stamp says its inputs are unchanged; returns `dir`. */
function generated(name: string, inputs: string[], make: (dir: string) => void): string {
  const dir = join(generatedDir, name);
  const stamp = join(generatedDir, `${name}.stamp`);
  const expected = fingerprint(inputs);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === expected && existsSync(dir)) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  make(dir);
  writeFileSync(stamp, expected);
  return dir;
}

const script = (name: string) => join(repoRoot, 'scripts', name);

export function smolvlmTinyDir(): string {
  return generated('smolvlm-tiny', [script('gen_smolvlm_fixture.py'), script('gen_lfm2vl_fixture.py')], (dir) => run('gen_smolvlm_fixture.py', [dir]));
}

/** `<dir>/<model id>/`: each catalog model's repository as its evidence lists it. */
export function hubFixturesDir(): string {
  const smolvlm = smolvlmTinyDir();
  const inputs = [
    script('gen_hub_fixtures.py'),
    script('lfm2vl_precisions.py'),
    ...filesUnder(join(repoRoot, 'models')),
    ...filesUnder(tinyModelDir),
    ...filesUnder(smolvlm),
  ];
  return generated('hub', inputs, (dir) => run('gen_hub_fixtures.py', [tinyModelDir, smolvlm, dir]));
}
