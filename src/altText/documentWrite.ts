/**
 * Writes Loupe's edits into a document that other programs may be writing too. The file is
 * changed in place, on its own inode, never replaced by a new file: a program appending to it
 * (a changelog generator, a logger, `echo >> notes.md`) keeps appending to the file the user sees,
 * whether it reopens the file for each line or holds its descriptor open. A rename over the file
 * would send the second kind's lines into a deleted inode, and lose the first kind's lines written
 * between the read and the rename.
 *
 * Appenders only ever write at the end, so the part of the file that was read is rewritten with
 * positional writes that stay below the end, and what the edit adds past it goes on with an
 * append of our own: the kernel orders it with theirs, nothing is overwritten. Lines that came in
 * just before our append are then put back after it (again below the end). Where our append
 * landed is read from /proc (Linux); elsewhere, and for an edit that shortens the file, the end
 * is read and rewritten in two back-to-back system calls, which leaves a window of about a
 * microsecond. test/integration/documentAppenders.test.ts runs both kinds of appender against fix.
 *
 * A crash mid-write would leave a mix of old and new text, so the old bytes are kept beside the
 * file (`.name.loupe-backup-…`) until the new ones are synced.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, writeSync, type Stats } from 'node:fs';
import { open, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { applyTextEdits, type TextEdit } from './altEdits';
import { DocumentError } from './documentErrors';
import { decodeDocument, encodeDocument, type DecodedDocument } from './documentEncoding';
import { rebaseEdits } from './rebaseEdits';

/** A document Loupe may not write: its mode says so, whoever runs Loupe (root included). */
class ReadOnlyDocument extends DocumentError {
  constructor(file: string) {
    super(file, 1, 1, 'not fixed', 'the file is read-only; make it writable (chmod u+w) if Loupe should fix it');
    this.name = 'ReadOnlyDocument';
  }
}

/** Loupe's edits no longer fit: the lines they touch changed while the model worked. */
class EditedMeanwhile extends DocumentError {
  constructor(file: string) {
    super(file, 1, 1, 'not fixed', 'the file was edited where Loupe writes while the model worked; run fix again (the answers are cached)');
    this.name = 'EditedMeanwhile';
  }
}

/**
 * Read-only by its mode bits: no write bit at all, or none for its owner when that is us. Root can
 * write anything, so the operating system's own check would let every such file through.
 */
function isReadOnly(info: Pick<Stats, 'mode' | 'uid'>): boolean {
  if ((info.mode & 0o222) === 0) return true;
  return process.getuid?.() === info.uid && (info.mode & 0o200) === 0;
}

/** Throws ReadOnlyDocument when the file may not be written (checked before any model work, and again at writing). */
export async function assertWritable(file: string): Promise<void> {
  const handle = await openForWriting(file);
  await handle.close();
}

async function openForWriting(file: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r+');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new ReadOnlyDocument(file);
    throw error;
  }
  if (isReadOnly(await handle.stat())) {
    await handle.close();
    throw new ReadOnlyDocument(file);
  }
  return handle;
}

interface WrittenEdits {
  /** The text as it was read just before the write, and as written. */
  before: string;
  after: string;
}

/**
 * Applies `edits`, computed on `read`, to the file as it is now (edits made meanwhile elsewhere
 * are kept, see rebaseEdits), in its own encoding. Throws ReadOnlyDocument or EditedMeanwhile.
 */
export async function writeEditsInPlace(file: string, read: DecodedDocument, edits: readonly TextEdit[]): Promise<WrittenEdits> {
  const handle = await openForWriting(file);
  try {
    const bytes = await readWhole(handle);
    const current = decodeDocument(bytes, file);
    const rebased = rebaseEdits(read.text, current.text, [...edits]);
    if (!rebased) throw new EditedMeanwhile(file);
    const after = applyTextEdits(current.text, rebased);
    if (after === current.text) return { before: current.text, after };
    const backup = join(dirname(file), `.${basename(file)}.loupe-backup-${randomBytes(3).toString('hex')}`);
    await writeFile(backup, bytes, { flag: 'wx', mode: 0o600 });
    try {
      rewriteFrom(file, handle.fd, bytes, encodeDocument(after, current));
    } catch (error) {
      // The file may be half written now: the backup stays, and the message says where it is.
      throw new Error(`${file} could not be written (${(error as Error).message}); its text before the fix is in ${backup}`, { cause: error });
    }
    await unlink(backup);
    return { before: current.text, after };
  } finally {
    await handle.close();
  }
}

async function readWhole(handle: FileHandle): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let position = 0; ; ) {
    const chunk = Buffer.allocUnsafe(1 << 16);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) return Buffer.concat(chunks);
    chunks.push(chunk.subarray(0, bytesRead));
    position += bytesRead;
  }
}

/**
 * Turns `old` (the first old.length bytes of the file) into `updated`, keeping whatever was
 * appended after them. Synchronous on purpose: no other work may run between these calls.
 */
function rewriteFrom(file: string, fd: number, old: Buffer, updated: Uint8Array): void {
  let from = 0;
  while (from < old.length && from < updated.length && old[from] === updated[from]) from++;
  const below = Buffer.from(updated.buffer, updated.byteOffset, updated.byteLength);
  if (updated.length >= old.length && appendPosition(fd) !== undefined) {
    writeSync(fd, below, from, old.length - from, from);
    appendRest(file, fd, old.length, below.subarray(old.length));
  } else {
    moveTail(fd, old.length, below, from);
  }
  fsyncSync(fd);
}

/** The bytes past `end` go on as an append, ordered by the kernel with other appenders' lines. */
function appendRest(file: string, fd: number, end: number, rest: Buffer): void {
  if (rest.length === 0) return;
  const appender = openSync(file, 'a');
  try {
    writeSync(appender, rest);
    const landed = appendPosition(appender)! - rest.length;
    if (landed === end) return;
    // Lines appended between our read and our append belong after our text: swap them, below the end.
    const theirs = Buffer.allocUnsafe(landed - end);
    readSync(fd, theirs, 0, theirs.length, end);
    writeSync(fd, Buffer.concat([rest, theirs]), 0, rest.length + theirs.length, end);
  } finally {
    closeSync(appender);
  }
}

/** Where the descriptor's next write goes, from /proc (Linux); undefined where there is none. */
function appendPosition(fd: number): number | undefined {
  try {
    const position = /^pos:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
    return position === undefined ? undefined : Number(position);
  } catch {
    return undefined;
  }
}

/** Without /proc, or when the text gets shorter: the end read and rewritten back to back. */
function moveTail(fd: number, end: number, updated: Buffer, from: number): void {
  const ours = updated.subarray(from);
  let buffer = Buffer.allocUnsafe(ours.length + (1 << 16));
  ours.copy(buffer);
  let length = ours.length;
  for (;;) {
    const read = readSync(fd, buffer, length, buffer.length - length, end + length - ours.length);
    length += read;
    if (length < buffer.length) break;
    buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
  }
  writeSync(fd, buffer, 0, length, from);
  // Shorter text: the old end, shifted, is still past the new end.
  if (updated.length < end) ftruncateSync(fd, from + length);
}
