/**
 * onnxruntime-node's native library (libonnxruntime.so, 1.30) carries Microsoft's telemetry
 * client. From a process's first inference session on, it looks up
 * mobile.events.data.microsoft.com and tries TLS to it every few seconds, reads /etc/machine-id,
 * queues events in ~/.cache/Microsoft/DeveloperTools/.onnxruntime/, leaves an empty
 * /tmp/mat-debug-<pid>.log, and crashes the process (SIGSEGV) when its command line is 15 KB or
 * longer. ORT_DISABLE_TELEMETRY=1 stops all of it, but the library reads it with getenv(), from the
 * C environment of the process: a worker thread's process.env is a private copy that getenv()
 * never sees (transformers.js sets the variable that way, which is why it does not protect the
 * engine thread). Only a main thread's process.env writes reach it.
 *
 * So this module is the first code of every program that may load onnxruntime: esbuild injects it
 * into each bundle (scripts/build.mjs), benches import it first, the test runner passes the variable
 * to the test processes, and the child engine gets it in its environment. The code that creates
 * sessions calls assertOnnxTelemetryDisabled(), so a new program that forgets fails loudly.
 * See docs/privacy.md.
 */
export const ORT_PRIVACY_ENV = { ORT_DISABLE_TELEMETRY: '1' } as const;

Object.assign(process.env, ORT_PRIVACY_ENV);

let confirmed = false;

/** Throws unless the environment of this process (not this thread's copy) disables the telemetry. */
export function assertOnnxTelemetryDisabled(): void {
  if (confirmed) return;
  // The diagnostic report lists the process's real environment, also when asked from a worker.
  const report = process.report.getReport() as { environmentVariables?: Record<string, string> };
  if (report.environmentVariables?.ORT_DISABLE_TELEMETRY !== ORT_PRIVACY_ENV.ORT_DISABLE_TELEMETRY) {
    throw new Error(
      'Refusing to run onnxruntime: ORT_DISABLE_TELEMETRY=1 is not in this process\'s environment, so its ' +
        'telemetry would contact Microsoft. Import src/protocol/onnxPrivacy first in the main thread of the program ' +
        '(see docs/privacy.md).',
    );
  }
  confirmed = true;
}
