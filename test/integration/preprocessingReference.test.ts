// The committed torchvision references (test/unit/engine/vlm/lfm2VlPreprocessing.test.ts compares against
// them) must be what the script makes, so an edit to either side cannot drift silently.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { repoRoot } from '../support/paths';

test('the committed preprocessing references are what the torchvision script produces', () => {
  const run = spawnSync('/usr/bin/python3', ['scripts/gen_lfm2vl_preprocessing_reference.py', '--check'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr || run.stdout);
});
