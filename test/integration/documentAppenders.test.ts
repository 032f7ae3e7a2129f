/**
 * Issue 22, item 8: a program appending to a document while `alt-text fix` writes it lost lines
 * (7–10 per run when it reopens the file per line; thousands when it holds its descriptor, as
 * those went into the replaced file). Two kinds of appender, each in its own process, append
 * numbered lines as fast as a busy logger while fix writes the document; every line must be there
 * afterwards, in 20 runs of each.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { fixPaths } from '../../src/altText/cliFix';
import { testGenerator } from '../unit/altText/fixtureTree';

const RUNS = 20;

/** Appends `line-N` every ~0.3 ms until stdin closes, then prints how many it wrote. */
const APPENDER = `
const fs = require('node:fs');
const [path, mode] = process.argv.slice(1);
const fd = mode === 'held' ? fs.openSync(path, 'a') : undefined;
let n = 0;
let stop = false;
process.stdin.on('end', () => (stop = true)).resume();
const tick = () => {
  const until = process.hrtime.bigint() + 2_000_000n;
  while (process.hrtime.bigint() < until) {
    const line = 'line-' + n++ + '\\n';
    if (fd === undefined) fs.appendFileSync(path, line);
    else fs.writeSync(fd, line);
    const pause = process.hrtime.bigint() + 300_000n;
    while (process.hrtime.bigint() < pause);
  }
  if (stop) {
    process.stdout.write(String(n));
    process.exit(0);
  }
  setImmediate(tick);
};
tick();
`;

function startAppender(path: string, mode: 'reopen' | 'held'): { child: ChildProcess; written: Promise<number> } {
  const child = spawn(process.execPath, ['-e', APPENDER, path, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk));
  const written = new Promise<number>((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`appender exited ${code}`)))));
  return { child, written };
}

async function waitForGrowth(path: string, from: number): Promise<void> {
  while ((await stat(path)).size <= from) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe('alt-text fix while another program appends to the document', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'loupe-appenders-'));
    await sharp({ create: { width: 4, height: 4, channels: 3, background: '#3366aa' } }).png().toFile(join(dir, 'a.png'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const mode of ['reopen', 'held'] as const) {
    it(`loses no line from an appender that ${mode === 'reopen' ? 'reopens the file for each line' : 'holds its descriptor open'} (${RUNS} runs)`, { timeout: 120_000 }, async () => {
      let lost = 0;
      let fixed = 0;
      for (let run = 0; run < RUNS; run++) {
        const doc = join(dir, `${mode}-${run}.md`);
        const head = '# Notes\n\n![](a.png)\n\n';
        await writeFile(doc, head);
        const appender = startAppender(doc, mode);
        await waitForGrowth(doc, head.length + 200);
        // The model answers while lines keep arriving; the write lands among them.
        const generator = testGenerator(async () => {
          await new Promise((resolve) => setTimeout(resolve, 5 + (run % 5)));
          return 'A blue square';
        });
        const result = await fixPaths([doc], generator, { cwd: dir, cachePath: join(dir, `cache-${mode}-${run}.json`) });
        await waitForGrowth(doc, (await stat(doc)).size);
        appender.child.stdin!.end();
        const written = await appender.written;
        const text = await readFile(doc, 'utf8');
        const lines = new Set(text.split('\n').filter((line) => line.startsWith('line-')));
        lost += written - lines.size;
        if (result.problems.length === 0 && text.startsWith('# Notes\n\n![A blue square.](a.png)\n')) fixed++;
      }
      assert.equal(lost, 0, `${lost} appended lines lost in ${RUNS} runs`);
      assert.equal(fixed, RUNS, 'every run wrote the alt text');
    });
  }
});
