/**
 * `installed.json`: written last, after every file of a model revision is in place and verified.
 * A folder without it is an unfinished download and is never handed to the engine. It lists the
 * precisions the folder holds and which one is selected: the engine loads exactly that one.
 */
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ARCHITECTURES, DTYPES } from './modelLayout';

export const MARKER_FILE = 'installed.json';

const DtypeSchema = z.enum(DTYPES);
const DtypeMapSchema = z.object({ vision_encoder: DtypeSchema, embed_tokens: DtypeSchema, decoder_model_merged: DtypeSchema });

export const InstalledMarkerSchema = z
  .object({
    schemaVersion: z.literal(1),
    modelId: z.string().min(1),
    label: z.string().min(1),
    architecture: z.enum(ARCHITECTURES),
    source: z.enum(['hub', 'import']),
    /** The folder's name under the model: the hub commit, or `import-<hash>` for imports. */
    revision: z.string().min(1),
    hub: z
      .object({
        endpoint: z.string(),
        repo: z.string(),
        requestedRevision: z.string(),
        revisionKind: z.enum(['commit', 'branch']),
        commit: z.string(),
      })
      .optional(),
    importedFrom: z.string().optional(),
    /** The selected precision: what the engine loads. */
    precision: z.string(),
    /** Its per-graph dtype for transformers.js (`dtype` option of from_pretrained). */
    dtype: DtypeMapSchema,
    /** Every complete precision in the folder, the selected one included (older markers lack it). */
    precisions: z.array(z.object({ id: z.string(), dtype: DtypeMapSchema })).optional(),
    license: z.object({ name: z.string(), url: z.string(), requiresAcceptance: z.boolean() }),
    licenseAcceptedAt: z.string().optional(),
    files: z.array(z.object({ path: z.string(), size: z.number().int().nonnegative(), sha256: z.string() })),
    installedAt: z.string(),
  })
  .transform((marker) => ({ ...marker, precisions: marker.precisions ?? [{ id: marker.precision, dtype: marker.dtype }] }));
export type InstalledMarker = z.output<typeof InstalledMarkerSchema>;

/** The marker of a revision folder, or undefined if the folder is not a finished install. */
export async function readInstalledMarker(revisionDir: string): Promise<InstalledMarker | undefined> {
  let text: string;
  try {
    // Only a regular file: a FIFO in a folder given as --model would block readFile forever.
    if (!(await stat(join(revisionDir, MARKER_FILE))).isFile()) return undefined;
    text = await readFile(join(revisionDir, MARKER_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = InstalledMarkerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Written to a temporary name and renamed, so a reader never sees half a marker. */
export async function writeInstalledMarker(revisionDir: string, marker: z.input<typeof InstalledMarkerSchema>): Promise<void> {
  const path = join(revisionDir, MARKER_FILE);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(InstalledMarkerSchema.parse(marker), null, 2)}\n`);
  await rename(temporary, path);
}
