/**
 * The engine speaks the same protocol whether it runs in a worker thread (default: cheap to start)
 * or a child process (`loupe.engine.isolation: process`: a native abort in onnxruntime cannot take
 * the extension host down with it). Only this file knows the difference.
 */
import { parentPort } from 'node:worker_threads';
import type { EngineEvent } from '../protocol/engine';

export interface EngineTransport {
  send(event: EngineEvent): void;
  onMessage(handler: (message: unknown) => void): void;
  /** Ends the engine (the thread, or the child process). */
  close(): void;
}

export function connectToHost(): EngineTransport {
  const port = parentPort;
  if (port) {
    return {
      send: (event) => port.postMessage(event),
      onMessage: (handler) => port.on('message', handler),
      // In a worker, process.exit ends only this thread.
      close: () => process.exit(0),
    };
  }
  if (process.send) {
    return {
      send: (event) => process.send?.(event),
      onMessage: (handler) => {
        // The host going away ends this process at once (exitWithParent in main.ts).
        process.on('message', handler);
      },
      close: () => process.exit(0),
    };
  }
  throw new Error('The Loupe engine must run in a worker thread or a forked child process.');
}
