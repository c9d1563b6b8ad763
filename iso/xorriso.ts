/**
 * The ISO image, made by xorriso in its native command mode: every setting is its own verb and
 * every host path its own argument (`-map FROM TO`), so nothing is quoted or escaped, whereas
 * `-as mkisofs` takes graft points `TO=FROM` in which a '=' or '\' in a path must be escaped.
 * `-report_el_torito cmd` also prints the native verbs, so a report reads like the command.
 *
 * The image is hybrid: El Torito BIOS (ISOLINUX) and UEFI (a FAT image holding GRUB) for optical
 * drives, an isohybrid MBR for BIOS USB sticks, and a GPT entry for that FAT image (type "basic
 * data", also an MBR partition of type 0xEF) for UEFI USB sticks.
 */

import { UserError } from '../core/errors.ts';
import type { Command, Progress } from '../core/exec/command.ts';

/** The ISO's volume id: the DVD's label, by which GRUB finds its medium. */
export const VOLUME_ID = 'VIRTUALINUX';
/** ISOLINUX's isohybrid MBR: BIOS boot from a USB stick holding the image, with room for a GPT. */
export const ISOHYBRID_MBR = '/usr/lib/ISOLINUX/isohdpfx.bin';

export interface IsoFile {
  /** a file or a directory on the build host; a directory is added with everything below it */
  from: string;
  /** its absolute path on the ISO */
  to: string;
}

export interface IsoSpec {
  output: string;
  volumeId: string;
  files: IsoFile[];
  bios: {
    /** ISO path of isolinux.bin; it gets a boot info table */
    image: string;
    /** ISO path where xorriso writes the El Torito boot catalog */
    catalog: string;
    /** host path of the isohybrid MBR */
    mbr: string;
  };
  efi: {
    /** ISO path of the FAT image holding EFI/BOOT/BOOTX64.EFI */
    image: string;
  };
  /** every date in the image (volume, files, boot catalog, GPT GUIDs) derives from it */
  sourceDateEpoch: number;
  /** shown by tools that read the primary volume descriptor */
  applicationId?: string;
}

const isoPath = /^\/[^\0]*$/;

/** which boot loader's conventions xorriso applies to a bootspec (`any`: none) */
type BootTarget = 'isolinux' | 'any';

/** `2025-11-24T16:00:00Z` → `2025112416000000`: the YYYYMMDDhhmmsscc of `-volume_date uuid`, in UTC. */
export function volumeDateUuid(sourceDateEpoch: number): string {
  return `${new Date(sourceDateEpoch * 1000).toISOString().replace(/\D/g, '').slice(0, 14)}00`;
}

function checkIsoSpec(spec: IsoSpec): void {
  const problems: string[] = [];
  if (!/^[A-Z0-9_]{1,16}$/.test(spec.volumeId)) {
    // 16, not ISO 9660's 32: Joliet's volume id holds 16 characters and GRUB may read either
    problems.push(`volume id "${spec.volumeId}" must be 1 to 16 of A-Z 0-9 _`);
  }
  if (spec.files.length === 0) problems.push('no files to put on the ISO');
  for (const file of spec.files) {
    if (!file.from.startsWith('/')) problems.push(`host path "${file.from}" must be absolute`);
    if (!isoPath.test(file.to)) problems.push(`ISO path "${file.to}" must be absolute`);
  }
  const covered = (path: string) =>
    spec.files.some(({ to }) => to === '/' || path === to || path.startsWith(`${to.replace(/\/$/, '')}/`));
  for (const [what, path] of [
    ['BIOS boot image', spec.bios.image],
    ['EFI boot image', spec.efi.image],
  ] as const) {
    if (!isoPath.test(path)) problems.push(`${what} "${path}" must be an absolute ISO path`);
    else if (!covered(path)) problems.push(`${what} ${path} is not among the files put on the ISO`);
  }
  if (!isoPath.test(spec.bios.catalog))
    problems.push(`boot catalog "${spec.bios.catalog}" must be an absolute ISO path`);
  if (!Number.isSafeInteger(spec.sourceDateEpoch) || spec.sourceDateEpoch < 0) {
    problems.push(`SOURCE_DATE_EPOCH ${spec.sourceDateEpoch} is not a time in seconds`);
  }
  if (problems.length > 0) {
    throw new UserError(
      `the ISO cannot be made:\n  ${problems.join('\n  ')}`,
      'fix the IsoSpec given to xorrisoCommand',
    );
  }
}

/**
 * `xorriso : UPDATE : Writing:      22819s   10.1%   fifo 100%  buf  50%` → bytes written (2 KiB
 * sectors), and the total those make at that percentage
 */
export function xorrisoProgress(line: string): Progress | undefined {
  const match = /UPDATE : Writing:\s+(\d+)s\s+([\d.]+)%/.exec(line);
  if (!match?.[1] || !match[2]) return undefined;
  const done = Number(match[1]) * 2048;
  const percent = Number(match[2]);
  return {
    stage: 'iso',
    done,
    unit: 'bytes',
    ...(percent > 0 && { total: Math.round((done * 100) / percent) }),
  };
}

/**
 * One xorriso run that writes the whole hybrid ISO. The output must not exist: xorriso refuses to
 * write over data (and told to blank it, keeps the old file's length), so write to a new path.
 */
export function xorrisoCommand(spec: IsoSpec): Command {
  checkIsoSpec(spec);
  const epoch = `=${spec.sourceDateEpoch}`;
  const boot = (...specs: Array<[BootTarget, string]>) =>
    specs.flatMap(([target, bootspec]) => ['-boot_image', target, bootspec]);
  return {
    tool: 'xorriso',
    args: [
      // startup files (~/.xorrisorc, /etc/xorriso/...) would make the image depend on the machine
      '-no_rc',
      '-outdev',
      `stdio:${spec.output}`,
      '-volid',
      spec.volumeId,
      ...(spec.applicationId === undefined ? [] : ['-application_id', spec.applicationId]),
      '-joliet',
      'on',
      ...spec.files.flatMap(({ from, to }) => ['-map', from, to]),
      // the builder's uid and gid mean nothing on the DVD
      '-chown_r',
      '0',
      '/',
      '--',
      '-chgrp_r',
      '0',
      '/',
      '--',
      ...boot(
        ['isolinux', `system_area=${spec.bios.mbr}`],
        ['isolinux', `bin_path=${spec.bios.image}`],
        ['isolinux', `cat_path=${spec.bios.catalog}`],
        ['any', 'load_size=2048'],
        ['any', 'boot_info_table=on'],
        ['any', 'next'],
        ['any', `efi_path=${spec.efi.image}`],
        ['isolinux', 'partition_entry=gpt_basdat'],
        // GPT GUIDs from the uuid date, not random
        ['any', 'gpt_disk_guid=volume_date_uuid'],
      ),
      '-volume_date',
      'uuid',
      volumeDateUuid(spec.sourceDateEpoch),
      '-volume_date',
      'c',
      epoch,
      '-volume_date',
      'm',
      epoch,
      '-volume_date',
      'all_file_dates',
      epoch,
      '-iso_nowtime',
      epoch,
      '-commit',
      '-end',
    ],
    env: { SOURCE_DATE_EPOCH: String(spec.sourceDateEpoch) },
    progress: xorrisoProgress,
  };
}

/** Lists an ISO's El Torito boot images, for parseElTorito. */
export const elToritoReportCommand = (iso: string): Command => ({
  tool: 'xorriso',
  args: ['-no_rc', '-indev', `stdio:${iso}`, '-report_el_torito', 'plain'],
});

export interface BootImage {
  index: number;
  /** `BIOS`, `UEFI`, ... as xorriso names the platform id */
  platform: string;
  path?: string;
}

/**
 * `El Torito boot img :   1  BIOS  y   none ...` and `El Torito img path :   1  /isolinux/isolinux.bin`
 * → one BootImage per catalog entry.
 */
export function parseElTorito(report: string): BootImage[] {
  const images = new Map<number, BootImage>();
  for (const line of report.split('\n')) {
    const image = /^El Torito boot img :\s+(\d+)\s+(\S+)/.exec(line);
    if (image?.[1] && image[2]) images.set(Number(image[1]), { index: Number(image[1]), platform: image[2] });
    const path = /^El Torito img path :\s+(\d+)\s+(.+)$/.exec(line);
    const known = path?.[1] ? images.get(Number(path[1])) : undefined;
    if (known && path?.[2]) known.path = path[2].trim();
  }
  return [...images.values()].sort((a, b) => a.index - b.index);
}
