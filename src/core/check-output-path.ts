/**
 * Output paths are checked before any work (edge: touches the file system), so a typo in `-o` costs a
 * second, not the whole merge or load: the parent directory is created as the writer would, and a probe
 * file is created and removed beside the target, which catches a missing, read-only or file-as-parent path.
 */
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { badInput } from './errors.js';

const reasons: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOTDIR: 'a parent is a file, not a directory',
  EEXIST: 'a parent is a file, not a directory',
  ENOSPC: 'no space left on the device',
  ENOENT: 'the directory cannot be created',
};

export async function checkOutputPath(path: string, flag: string): Promise<void> {
  const fail = (error: unknown): never => {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw badInput(flag, `cannot write "${path}": ${reasons[code] ?? code}`);
  };
  const existing = await stat(path).catch(() => undefined);
  if (existing?.isDirectory()) throw badInput(flag, `"${path}" is a directory; give a file name`);
  await mkdir(dirname(path), { recursive: true }).catch(fail);
  const probe = `${path}.${process.pid}.probe`;
  const handle = await open(probe, 'wx').catch(fail);
  await handle.close();
  await unlink(probe);
}
