import { freemem } from 'node:os';

/** Weights expand in memory (dequantised buffers, activations, KV cache): a measured rule of thumb. */
const RUNTIME_OVERHEAD_FACTOR = 1.6;
const DEFAULT_HEADROOM_BYTES = 512 * 1024 ** 2;

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;

/**
 * Refuse a load the machine cannot hold: running out of memory makes the OS kill the whole editor,
 * which loses the user's unsaved work. Returns an explanation when the load must not happen.
 */
export function memoryShortfall(weightBytes: number, headroomBytes = DEFAULT_HEADROOM_BYTES): string | undefined {
  const needed = weightBytes * RUNTIME_OVERHEAD_FACTOR + headroomBytes;
  const available = freemem();
  if (available >= needed) return undefined;
  return (
    `Not enough free memory to load this model: it needs about ${gib(needed)} and ${gib(available)} is free. ` +
    'Close other programs, or choose a smaller model or the "fast" preset ("Loupe: Select Model").'
  );
}
