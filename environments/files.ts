/** Writing Slipway's own files: folders 0700, files 0600 from their first byte, atomic and fsync'd. */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** Creates a folder (and any missing parent) readable by this user only. */
/** A file's text; undefined when there is no such file (any other error is thrown). */
export function readTextIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Writes all of `text` (a write to a regular file may take several calls). */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

function fsyncPath(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems cannot fsync a folder: the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes a file so that readers see the old content or the new, never half of it, and a crash
 * leaves one or the other: a private temporary file (0600) is written and fsync'd, renamed into
 * place, and the folder fsync'd.
 */
export function writeFileAtomically(path: string, text: string, mode = 0o600): void {
  ensureDir(dirname(path));
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`;
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeAll(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncPath(dirname(path));
}

/** Appends one line in one write (O_APPEND: concurrent writers never interleave), fsync'd; a new file is 0600. */
export function appendLineDurably(path: string, line: string): void {
  ensureDir(dirname(path));
  const fd = openSync(path, 'a', 0o600);
  try {
    // One write call: with O_APPEND it lands whole, after whatever another writer appended.
    writeSync(fd, line.endsWith('\n') ? line : `${line}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
