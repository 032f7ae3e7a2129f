// Preloaded with `node --require` by tests that bound a command's memory: prints the process's
// peak resident set (all threads, the engine's worker included) to stderr as it exits.
const { writeSync } = require('node:fs');
process.on('exit', () => writeSync(2, `\nmaxrss-kb ${process.resourceUsage().maxRSS}\n`));
