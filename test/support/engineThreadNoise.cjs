// Preloaded with `node --require` by `loupe mcp`'s stdout test: the engine's worker thread prints
// to stdout the ways transformers.js and onnxruntime do (console.log, process.stdout.write).
const { isMainThread } = require('node:worker_threads');
if (!isMainThread) {
  console.log('engine thread: console.log');
  process.stdout.write('engine thread: process.stdout.write\n');
}
