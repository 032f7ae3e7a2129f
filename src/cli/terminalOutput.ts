/**
 * What the CLI prints that it did not write itself: a model's answer, a server's or the hub's
 * words, a document's alt text, a file name. All of it is untrusted (an image can carry
 * instructions, a server can be hostile), so it reaches the terminal only as text: no escape
 * sequence, control character or bidi override gets through (src/protocol/safeText.ts).
 * JSON output is cleaned the same way, as it is read in terminals too.
 */
import { SafeTextStream } from '../protocol/safeText';
import type { Phase } from '../client/engineClient';

/** Streams answer pieces to `out`; an escape split across pieces waits until it can be removed whole. */
export function answerPrinter(out: NodeJS.WritableStream = process.stdout): { write(piece: string): void; end(): void } {
  const stream = new SafeTextStream();
  return {
    write: (piece) => {
      const text = stream.push(piece);
      if (text) out.write(text);
    },
    end: () => out.write(`${stream.flush()}\n`),
  };
}

/** The engine's phases that take seconds before an answer starts, as the CLI announces them. */
const SLOW_PHASES: Partial<Record<Phase, string>> = {
  'optimizing-model': 'optimising the model for this CPU (once)…',
  'loading-model': 'loading the model…',
};

/** Says each slow phase once per run: `loupe chat` asks many questions of a model loaded once. */
export function phaseAnnouncer(out: NodeJS.WritableStream = process.stderr): (phase: Phase) => void {
  const said = new Set<Phase>();
  return (phase) => {
    const words = SLOW_PHASES[phase];
    if (!words || said.has(phase)) return;
    said.add(phase);
    out.write(`loupe: ${words}\n`);
  };
}
