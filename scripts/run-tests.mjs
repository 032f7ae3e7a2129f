// Runs node's built-in test runner over TypeScript test files (tsx compiles them on the fly).
// Node 20's --test does not expand globs or pick up .ts files by itself, hence this wrapper.
import fg from 'fast-glob';
import { spawnSync } from 'node:child_process';

const suites = process.argv.slice(2);
// A suite name ("unit") runs that folder; a path to a .ts file runs just that file.
const patterns = suites.length
  ? suites.map((s) => (s.endsWith('.ts') ? s : `test/${s}/**/*.test.ts`))
  : ['test/unit/**/*.test.ts'];
const files = (await fg(patterns)).sort();
if (files.length === 0) {
  console.error(`no test files match ${patterns.join(' ')}`);
  process.exit(1);
}
const concurrency = process.env.LOUPE_TEST_CONCURRENCY ?? '1';
// Tests load onnxruntime in their own processes too: its telemetry is off in all of them
// (src/protocol/onnxPrivacy.ts says why; test/unit/protocol/onnxPrivacy.test.ts checks that it arrives).
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files],
  { stdio: 'inherit', env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } },
);
process.exit(result.status ?? 1);
