/**
 * Tracks every ONNX Runtime session creation in the engine. transformers.js creates a model's
 * sessions in parallel and rejects as soon as one fails (a 0-byte graph, a broken external-data
 * reference), leaving the others loading in native threads. Ending the engine thread then aborts
 * the whole process ("terminate called after throwing an instance of 'Napi::Error'", exit 134),
 * which in the editor is the extension host; and the sessions that did load are never released.
 * So a failed load waits for its siblings and releases them, and shutdown waits for every native
 * creation to finish before the thread ends.
 */
import * as ort from 'onnxruntime-node';

type Create = typeof ort.InferenceSession.create;

const inFlight = new Set<Promise<unknown>>();
let collecting: ort.InferenceSession[] | undefined;

const original: Create = ort.InferenceSession.create.bind(ort.InferenceSession);
// transformers.js reads `InferenceSession.create` from this same module object at call time.
ort.InferenceSession.create = ((...args: Parameters<Create>) => {
  const creation = original(...args);
  const batch = collecting;
  inFlight.add(creation);
  creation.then(
    (session) => batch?.push(session),
    () => undefined,
  ).finally(() => inFlight.delete(creation));
  return creation;
}) as Create;

/** Resolves once no session creation is running in native code. */
export async function nativeCreationsSettled(): Promise<void> {
  while (inFlight.size) await Promise.allSettled([...inFlight]);
}

/** Runs a model load; if it fails, waits for the sessions it started and releases those that loaded. */
export async function loadReleasingOnFailure<T>(load: () => Promise<T>): Promise<T> {
  const created: ort.InferenceSession[] = [];
  collecting = created;
  try {
    return await load();
  } catch (error) {
    await nativeCreationsSettled();
    await Promise.allSettled(created.map((session) => session.release()));
    throw error;
  } finally {
    collecting = undefined;
  }
}
