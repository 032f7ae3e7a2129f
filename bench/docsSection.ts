/** Benches write their tables into the docs between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`. */
import { readFileSync, writeFileSync } from 'node:fs';

export function writeMarkedSection(docs: string, name: string, lines: string[]): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const current = readFileSync(docs, 'utf8');
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  if (from < 0 || to < 0) throw new Error(`${docs} lacks the ${start} ... ${end} markers`);
  writeFileSync(docs, current.slice(0, from) + [start, ...lines, end].join('\n') + current.slice(to + end.length));
}
