/**
 * The image archive: the root filesystem as a tar stream that is the same bytes whenever the files
 * are the same — entries sorted by name, numeric owners, no atime/ctime, mtimes clamped to
 * SOURCE_DATE_EPOCH, PAX headers without the pid in their names — compressed with zstd, whose
 * output does not depend on the number of threads.
 */
import type { Command, Progress } from '../core/exec/command.ts';

export const ARCHIVE_NAME = 'rootfs.tar.zst';
export const ZSTD_LEVEL = 12;
/** tar reports its progress every this many 10 KiB records (20 MiB) */
const CHECKPOINT_RECORDS = 2048;

export function archiveCommand(
  rootfs: string,
  archive: string,
  sourceDateEpoch: number,
  totalBytes?: number,
): Command {
  return {
    tool: 'tar',
    args: [
      '--create',
      `--file=${archive}`,
      `--directory=${rootfs}`,
      '--sort=name',
      '--format=pax',
      '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
      `--mtime=@${sourceDateEpoch}`,
      '--clamp-mtime',
      '--numeric-owner',
      '--xattrs',
      '--xattrs-include=*',
      '--one-file-system',
      `--use-compress-program=zstd -T0 -${ZSTD_LEVEL} -q`,
      `--checkpoint=${CHECKPOINT_RECORDS}`,
      '--checkpoint-action=echo=written %{w}T',
      '.',
    ],
    progress: (line) => archiveProgress(line, totalBytes),
  };
}

/** `tar: written 2037760 (2.0MiB, 76MiB/s)` → bytes of the tar stream written so far */
export function archiveProgress(line: string, total?: number): Progress | undefined {
  const match = /written (\d+) /.exec(line);
  if (!match?.[1]) return undefined;
  return { stage: 'archive', done: Number(match[1]), unit: 'bytes', ...(total !== undefined && { total }) };
}

export interface ExtractOptions {
  /** only these members (e.g. ./boot/vmlinuz-6.1.0-50-amd64); shell patterns with `wildcards` */
  members?: string[];
  wildcards?: boolean;
  /** zstd for our archives; auto lets GNU tar recognise an imported tarball's compression */
  compression?: 'zstd' | 'auto';
  /** unpacked size: progress events in bytes of the tar stream read */
  totalBytes?: number;
}

/**
 * The one way archives are unpacked (images, imported tarballs, the DVD's stages, the installer's
 * golden volumes): as root, numeric owners, modes and extended attributes exactly as recorded.
 */
export function extractCommand(archive: string, directory: string, options: ExtractOptions = {}): Command {
  const { totalBytes } = options;
  return {
    tool: 'tar',
    args: [
      '--extract',
      ...((options.compression ?? 'zstd') === 'zstd' ? ['--zstd'] : []),
      `--file=${archive}`,
      `--directory=${directory}`,
      '--numeric-owner',
      '--same-owner',
      '--same-permissions',
      '--xattrs',
      '--xattrs-include=*',
      ...(totalBytes !== undefined
        ? [`--checkpoint=${CHECKPOINT_RECORDS}`, '--checkpoint-action=echo=unpacked %{r}T']
        : []),
      ...(options.wildcards ? ['--wildcards'] : []),
      ...(options.members ?? []),
    ],
    ...(totalBytes !== undefined && { progress: (line: string) => extractProgress(line, totalBytes) }),
  };
}

/** `tar: unpacked r: 2037760 (2.0MiB, 399MiB/s)` → bytes of the tar stream read so far */
export function extractProgress(line: string, total?: number): Progress | undefined {
  const match = /unpacked r: (\d+) /.exec(line);
  if (!match?.[1]) return undefined;
  return { stage: 'unpack', done: Number(match[1]), unit: 'bytes', ...(total !== undefined && { total }) };
}
