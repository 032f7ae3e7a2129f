/**
 * Makes the CPU-optimised copy of the full-size q4 benchmark model, as the engine makes it for an
 * installed model before its first load (src/engine/vlm/modelOptimization.ts), and prints the record.
 * Part of `npm run bench:models`: the benches then measure what users of an installed model get.
 */
import '../src/protocol/onnxPrivacy';
import { join } from 'node:path';
import { inspectModelFolder } from '../src/engine/vlm/modelFiles';
import { optimizationSources, optimizeModel } from '../src/engine/vlm/modelOptimization';
import { readOptimization } from '../src/modelFolder/optimizedVariant';
import { repoRoot } from '../test/support/paths';

async function main(): Promise<void> {
  const modelDir = join(repoRoot, 'bench', 'models', 'lfm2-vl-450m-random-q4');
  const folder = await inspectModelFolder(modelDir);
  const started = performance.now();
  const record = await optimizeModel(modelDir, folder.dtypes, await optimizationSources(modelDir, folder.graphFiles));
  console.log(JSON.stringify({ ...record, sources: record.sources.length, ms: Math.round(performance.now() - started) }, null, 2));
  if (record.outcome !== 'optimized') process.exit(1);
  // The benches load the copy in the folder: it must be this one.
  if ((await readOptimization(modelDir))?.createdAt !== record.createdAt) throw new Error('the copy was not put in place');
}

void main();
