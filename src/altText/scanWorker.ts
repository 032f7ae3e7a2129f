/**
 * The worker thread that scans documents for the editor (see isolatedScanner.ts), bundled as
 * dist/altTextScan.js. Parsing a large document takes seconds; here it cannot stall the
 * extension host, and a runaway parse can be stopped by ending the thread.
 */
import { parentPort } from 'node:worker_threads';
import { scanErrorData } from './documentErrors';
import type { ScanReply, ScanRequest } from './isolatedScanner';
import { scanImages } from './scanDocument';

const port = parentPort;
if (!port) throw new Error('the alt text scanner runs as a worker thread');
port.on('message', ({ id, text, file, target }: ScanRequest) => {
  let reply: ScanReply;
  try {
    reply = { id, images: scanImages(text, file, target) };
  } catch (error) {
    reply = { id, error: scanErrorData(error) };
  }
  port.postMessage(reply);
});
