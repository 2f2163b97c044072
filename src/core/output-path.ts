/**
 * Output paths (edge): checked before any work starts, written temp-then-rename.
 *
 * `checkOutputPath` is what every writing command calls first, so a path that cannot be written fails in
 * milliseconds instead of after minutes of load: it creates missing parent directories (as the writers
 * always did), then proves the directory writable by creating and removing the very temp file the final
 * write will use. Every failure is an `IO` error (exit 4) naming the path and the reason in words.
 */
import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ioError, type PerfloopError } from './errors.js';

/** The temp file a write of `path` goes through (same directory, so the rename is atomic). */
export const temporaryPathFor = (path: string): string => `${path}.${process.pid}.tmp`;

/** Turns a file-system error on `path` into an IO error with a plain reason. */
export function ioErrorFor(path: string, error: unknown, action = 'cannot write'): PerfloopError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const reasons: Record<string, string> = {
    ENOENT: 'a directory on the path does not exist',
    ENOTDIR: 'a part of the path is a file, not a directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    EISDIR: 'is a directory',
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    EEXIST: 'a file is in the way of a directory',
    ENAMETOOLONG: 'name too long',
  };
  const reason = reasons[code] ?? (error instanceof Error ? error.message : String(error));
  return ioError(path, `${action}: ${reason}${code && reasons[code] ? ` (${code})` : ''}`);
}

/**
 * Checks that `path` can be written: parent directories exist or can be created, the directory accepts a
 * new file, and `path` itself is not a directory. Leaves no temp file behind. Synchronous: it runs once,
 * before any work, and a sync check cannot interleave with a signal handler.
 */
export function checkOutputPath(path: string): void {
  const target = resolve(path);
  const directory = dirname(target);
  try {
    mkdirSync(directory, { recursive: true });
  } catch (error) {
    throw ioErrorFor(path, error, `cannot create directory "${directory}"`);
  }
  try {
    if (!statSync(directory).isDirectory()) throw ioError(path, `"${directory}" is not a directory`);
  } catch (error) {
    if ((error as PerfloopError).code === 'IO') throw error;
    throw ioErrorFor(path, error);
  }
  let isDirectory = false;
  try {
    isDirectory = statSync(target).isDirectory();
  } catch {
    // Missing is fine: the write creates it.
  }
  if (isDirectory) throw ioError(path, 'cannot write: is a directory');
  const probe = temporaryPathFor(target);
  let descriptor: number;
  try {
    descriptor = openSync(probe, 'w');
  } catch (error) {
    throw ioErrorFor(path, error);
  }
  closeSync(descriptor);
  unlinkSync(probe);
}

/**
 * Writes `data` to `path` through a temp file in the same directory and a rename, so a crash (even
 * SIGKILL) mid-write leaves the old file intact; on failure the temp file is removed and the error is
 * an IO error naming the path.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const target = resolve(path);
  const temporary = temporaryPathFor(target);
  try {
    await mkdir(dirname(target), { recursive: true });
    await writeFile(temporary, data);
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw ioErrorFor(path, error);
  }
}
