/**
 * An overlay is a plain directory tree under overlays/ copied over an image's root filesystem.
 * Its fingerprint (paths, types, modes, contents, link targets) is part of the image's cache key.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';

export interface OverlayEntry {
  /** relative to the overlay's root, with / separators */
  path: string;
  type: 'file' | 'dir' | 'symlink';
  /** permission bits, e.g. 0o755 */
  mode: number;
  /** sha256 of a file's content, or a symlink's target */
  content?: string;
}

export function overlayDir(overlaysDir: string, name: string): string {
  const dir = join(overlaysDir, name);
  let isDir = false;
  try {
    isDir = lstatSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir)
    throw new UserError(
      `overlay "${name}" not found: no directory ${dir}`,
      'create it, or remove it from the recipe’s overlays',
    );
  return dir;
}

/** every entry of an overlay, sorted by path; anything but files, directories and symlinks is refused */
export function overlayEntries(dir: string): OverlayEntry[] {
  const entries: OverlayEntry[] = [];
  const walk = (relative: string) => {
    for (const name of readdirSync(join(dir, relative)).sort()) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const full = join(dir, path);
      const stat = lstatSync(full);
      const mode = stat.mode & 0o7777;
      if (stat.isSymbolicLink()) entries.push({ path, type: 'symlink', mode, content: readlinkSync(full) });
      else if (stat.isDirectory()) {
        entries.push({ path, type: 'dir', mode });
        walk(path);
      } else if (stat.isFile()) {
        entries.push({
          path,
          type: 'file',
          mode,
          content: createHash('sha256').update(readFileSync(full)).digest('hex'),
        });
      } else {
        throw new UserError(
          `${full} is neither a file, a directory nor a symlink`,
          'an overlay holds only those: remove it',
        );
      }
    }
  };
  walk('');
  return entries;
}
