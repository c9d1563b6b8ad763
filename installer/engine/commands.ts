/**
 * The commands the install runs, as data: one builder per tool invocation, so that every action
 * of plan.ts reads as a list of named steps and the dry run prints exactly what would run.
 */
import type { Command } from '../../core/exec/command.ts';
import { extractCommand } from '../../images/archive.ts';
import { EXTENT_BYTES, type TargetLayout, type TargetPartition } from './layout.ts';

/** /dev/sdb + 2 → /dev/sdb2; a disk whose name ends in a digit takes a p: /dev/nvme0n1p2, /dev/loop0p2 */
export const partitionDevice = (device: string, number: number) =>
  `${device}${/\d$/.test(device) ? 'p' : ''}${number}`;

export const lvPath = (vg: string, lv: string) => `/dev/${vg}/${lv}`;

// ---- partitions --------------------------------------------------------------------------------

/** one sgdisk run writes the whole table, so a crash leaves the old table or the new one */
export function sgdiskLayout(device: string, partitions: TargetPartition[]): Command {
  const mib = (bytes: number) => `${bytes / 2 ** 20}M`;
  return {
    tool: 'sgdisk',
    args: [
      '--clear',
      ...partitions.flatMap((p) => [
        `--new=${p.number}:${mib(p.start)}:${p.bytes === undefined ? '0' : `+${mib(p.bytes)}`}`,
        `--typecode=${p.number}:${p.type.code}`,
        `--change-name=${p.number}:${p.name}`,
      ]),
      device,
    ],
  };
}

/** the kernel reads the new table, and udev makes its device nodes before anyone uses them */
export const rereadPartitions = (device: string): Command[] => [
  { tool: 'partprobe', args: [device] },
  { tool: 'udevadm', args: ['settle', '--timeout=60'] },
];

export const wipeSignatures = (device: string): Command => ({
  tool: 'wipefs',
  args: ['--all', '--force', device],
});

export const zapPartitionTable = (device: string): Command => ({
  tool: 'sgdisk',
  args: ['--zap-all', device],
});

/**
 * FAT32 with a volume id fixed by the caller: GRUB's images on VLBOOT find it by that id, so a
 * random one would make every install's GRUB files differ (and a reinstall rewrite them all).
 */
export const mkfsVfat = (device: string, label: string, volumeId: string): Command => ({
  tool: 'mkfs.vfat',
  args: ['-F', '32', '-n', label, '-i', volumeId, device],
});

// ---- LVM ---------------------------------------------------------------------------------------

export const pvcreate = (device: string): Command => ({ tool: 'pvcreate', args: [device] });

export function vgcreate(layout: TargetLayout, physicalVolume: string, tags: string[]): Command {
  return {
    tool: 'vgcreate',
    args: [
      ...(layout.sharedVg ? ['--shared', '--locktype', 'sanlock'] : []),
      // every machine on the SAN sees this VG: none activates its volumes on its own (udev's
      // autoactivation); a blade activates the golden images and its own layer, by name
      '--setautoactivation',
      'n',
      '-s',
      `${EXTENT_BYTES / 2 ** 20}m`,
      ...tags.flatMap((tag) => ['--addtag', tag]),
      layout.vg,
      physicalVolume,
    ],
  };
}

/** joins this host to the VG's sanlock lockspace: needed before any change to a shared VG */
export const lockStart = (vg: string): Command => ({ tool: 'vgchange', args: ['--lock-start', vg] });

export const vgAddTag = (vg: string, tag: string, replacing: string[] = []): Command => ({
  tool: 'vgchange',
  args: [...replacing.flatMap((old) => ['--deltag', old]), '--addtag', tag, vg],
});

/**
 * Created inactive and not zeroed: the filesystem written next overwrites the start anyway, and
 * LVM asks nothing (wiping an old signature it finds would prompt, and the installer has no one to ask).
 */
export const lvcreate = (vg: string, name: string, bytes: number, tags: string[]): Command => ({
  tool: 'lvcreate',
  args: ['-an', '-Zn', '-n', name, '-L', `${bytes}B`, ...tags.flatMap((tag) => ['--addtag', tag]), vg],
});

/** -aey: exclusive on this host, which a shared VG needs to write; on a local VG, plain activation */
export const activate = (vg: string, lv: string): Command => ({
  tool: 'lvchange',
  args: ['-aey', `${vg}/${lv}`],
});

export const deactivate = (vg: string, lv: string): Command => ({
  tool: 'lvchange',
  args: ['-an', `${vg}/${lv}`],
});

export interface LvChange {
  permission?: 'r' | 'rw';
  addTags?: string[];
  delTags?: string[];
}

export const lvchange = (vg: string, lv: string, change: LvChange): Command => ({
  tool: 'lvchange',
  args: [
    ...(change.permission ? ['-p', change.permission] : []),
    ...(change.delTags ?? []).flatMap((tag) => ['--deltag', tag]),
    ...(change.addTags ?? []).flatMap((tag) => ['--addtag', tag]),
    `${vg}/${lv}`,
  ],
});

export const vgDeactivate = (vg: string): Command => ({ tool: 'vgchange', args: ['-an', vg] });

/** a rename is one metadata commit: the volume has the old name or the new one, never neither */
export const lvrename = (vg: string, from: string, to: string): Command => ({
  tool: 'lvrename',
  args: [vg, from, to],
});

export const lvremove = (vg: string, lv: string): Command => ({
  tool: 'lvremove',
  args: ['-y', `${vg}/${lv}`],
});

/** multi-mount protection: exit 0 when no machine holds the filesystem, 1 when one does (after MMP's wait) */
export const mmpStatus = (device: string): Command => ({
  tool: 'e2mmpstatus',
  args: [device],
  allowExitCodes: [1],
});

/** the MMP block itself: node_name, the last update's time and device */
export const mmpInfo = (device: string): Command => ({ tool: 'e2mmpstatus', args: ['-i', device] });

/** a device-mapper device goes; --retry: udev may still hold it for a moment */
export const dmRemove = (name: string): Command => ({ tool: 'dmsetup', args: ['remove', '--retry', name] });

/** the device-mapper name LVM gives a volume: dashes in either name doubled */
export const lvmMapperName = (vg: string, lv: string) =>
  `${vg.replaceAll('-', '--')}-${lv.replaceAll('-', '--')}`;

// ---- filesystems -------------------------------------------------------------------------------

/**
 * Multi-mount protection: ext4 keeps a block on the volume that the machine which mounted it
 * rewrites every few seconds, and the kernel refuses to mount it while another machine does. On a
 * SAN every blade sees every volume: this is what stops two machines mounting one writable layer.
 */
export const MMP_UPDATE_SECONDS = 5;

export const mkfsExt4 = (
  device: string,
  label: string,
  options: { reserved?: number; mmp?: boolean } = {},
): Command => ({
  tool: 'mkfs.ext4',
  args: [
    '-q',
    '-F',
    ...(options.reserved === undefined ? [] : ['-m', String(options.reserved)]),
    ...(options.mmp ? ['-O', 'mmp', '-E', `mmp_update_interval=${MMP_UPDATE_SECONDS}`] : []),
    '-L',
    label,
    device,
  ],
});

export const mkdir = (...paths: string[]): Command => ({ tool: 'mkdir', args: ['-p', '--', ...paths] });

export const mount = (device: string, directory: string, type: string): Command => ({
  tool: 'mount',
  args: ['-t', type, device, directory],
});

/** read-only without replaying the journal: nothing is written, and MMP is not taken (ext4 takes it for rw only) */
export const mountReadOnly = (device: string, directory: string, type: string): Command => ({
  tool: 'mount',
  args: ['-t', type, '-o', 'ro,noload', device, directory],
});

export const umount = (directory: string): Command => ({ tool: 'umount', args: [directory] });

/** after a crash, the directory may still be mounted; 32 is umount's "not mounted" */
export const umountIfMounted = (directory: string): Command => ({
  tool: 'umount',
  args: ['--quiet', directory],
  allowExitCodes: [32],
});

/** writes text to a file through stdin (dd opens the file itself; of= truncates it) */
export const writeFile = (path: string, text: string): Command => ({
  tool: 'dd',
  args: [`of=${path}`, 'status=none'],
  stdin: text,
});

/** `text` added at the end of `path` (made when missing) */
export const appendFile = (path: string, text: string): Command => ({
  tool: 'dd',
  args: [`of=${path}`, 'oflag=append', 'conv=notrunc', 'status=none'],
  stdin: text,
});

export const copy = (from: string, to: string): Command => ({ tool: 'cp', args: ['--', from, to] });

// ---- images ------------------------------------------------------------------------------------

/** sha256sum reads `HASH  FILE` lines on stdin and fails unless the file has that hash */
export const verifySha256 = (file: string, sha256: string): Command => ({
  tool: 'sha256sum',
  args: ['--check', '--strict', '--quiet', '-'],
  stdin: `${sha256}  ${file}\n`,
});

/** the archive as it was made (images/archive.ts): numeric owners, permissions, xattrs */
export const unpackImage = (archive: string, directory: string, totalBytes: number): Command =>
  extractCommand(archive, directory, { totalBytes });

// ---- boot loaders ------------------------------------------------------------------------------

/** GRUB for BIOS: its core image in the BIOS-boot partition, its files on VLBOOT */
export const grubInstallBios = (device: string, bootDirectory: string): Command => ({
  tool: 'grub-install',
  args: ['--target=i386-pc', `--boot-directory=${bootDirectory}`, device],
});

/**
 * GRUB for UEFI at the removable-media path (EFI/BOOT/BOOTX64.EFI), which firmware finds with no
 * boot entry; --no-nvram: the machine running the installer is not a blade, its firmware is left alone.
 */
export const grubInstallEfi = (espDirectory: string, bootDirectory: string): Command => ({
  tool: 'grub-install',
  args: [
    '--target=x86_64-efi',
    '--removable',
    '--no-nvram',
    `--efi-directory=${espDirectory}`,
    `--boot-directory=${bootDirectory}`,
  ],
});
