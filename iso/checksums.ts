/**
 * SHA256SUMS of the medium: one `sha256  path` line per file, sorted by path, so that anyone can
 * check a burnt DVD or a USB stick (`cd /run/live/medium && sha256sum -c SHA256SUMS`). Files
 * that xorriso patches while writing the ISO (isolinux.bin gets its boot-info table, the boot
 * catalog is generated) cannot be listed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from '../images/fetch.ts';

export interface MediumFile {
  /** path on the medium, starting with / */
  to: string;
  /** file on the build host */
  from: string;
  /** when already known (image manifests record it) */
  sha256?: string;
}

/**
 * sha256 of a file in the stage cache, remembered in `memoDir` (by the file's path, size and
 * mtime): stage outputs never change once their stage is done, and hashing a squashfs again on
 * every build costs seconds. The memo lives apart from the stage directories, whose every file
 * goes on the medium.
 */
export async function cachedSha256(path: string, memoDir: string): Promise<string> {
  const stat = statSync(path);
  const memo = join(memoDir, createHash('sha256').update(path).digest('hex').slice(0, 32));
  const stamp = `${stat.size} ${Math.round(stat.mtimeMs)}`;
  try {
    const [sum, ...rest] = readFileSync(memo, 'utf8').trim().split(' ');
    if (sum && rest.join(' ') === stamp) return sum;
  } catch {
    // not hashed yet
  }
  const sum = await sha256File(path);
  mkdirSync(memoDir, { recursive: true });
  writeFileSync(memo, `${sum} ${stamp}\n`);
  return sum;
}

export function sha256sums(files: Array<{ to: string; sha256: string }>): string {
  return [...files]
    .sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0))
    .map((file) => `${file.sha256}  .${file.to}\n`)
    .join('');
}
