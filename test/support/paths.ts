import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..');
export const tinyModelDir = join(repoRoot, 'test', 'fixtures', 'models', 'lfm2-vl-tiny');
export const imageFixture = (name: string) => join(repoRoot, 'test', 'fixtures', 'images', name);
export const enginePath = join(repoRoot, 'dist', 'engine.js');
