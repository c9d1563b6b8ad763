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
