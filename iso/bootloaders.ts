/**
 * The DVD's boot loaders, planned as actions that write into one work directory:
 *
 *   isolinux/isolinux.bin, ldlinux.c32, menu.c32, libutil.c32, libcom32.c32, isolinux.cfg   BIOS
 *   boot/grub/grub.cfg                                                                      UEFI menu
 *   EFI/boot/bootx64.efi     GRUB for x86_64-efi, its modules and an early config built in
 *   boot/grub/efiboot.img    FAT image holding EFI/BOOT/BOOTX64.EFI: El Torito UEFI image and ESP
 *   grub-early.cfg           the early config, an input of grub-mkimage (not for the ISO)
 *
 * Reproducible: grub-mkimage writes the same bytes for the same inputs (grub-mkstandalone does
 * not: its memdisk is a tar of a temporary directory, stamped with the time of the run); the FAT
 * image has a fixed serial and label (`mkfs.fat --invariant -i`), and mtools stamps what it writes
 * with SOURCE_DATE_EPOCH in UTC (FAT stores local time, so TZ would otherwise change the bytes).
 * No loop device and no mount: the build runs where those are not available.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import type { Command } from '../core/exec/command.ts';
import type { Action } from '../core/plan/plan.ts';
import { type BootMenu, renderGrubCfg, renderIsolinuxCfg } from './menu.ts';
import { ISOHYBRID_MBR, type IsoFile, type IsoSpec } from './xorriso.ts';

/** Where the Debian packages put what the boot loaders are made of. */
export interface BootloaderSources {
  /** isolinux.bin (package isolinux) */
  isolinuxBin: string;
  /** isohdpfx.bin, the isohybrid MBR (package isolinux) */
  isohybridMbr: string;
  /** ldlinux.c32 and the menu's modules (package syslinux-common) */
  syslinuxModules: string;
  /** GRUB's x86_64-efi modules (package grub-efi-amd64-bin) */
  grubEfiModules: string;
}

export const debianSources: BootloaderSources = {
  isolinuxBin: '/usr/lib/ISOLINUX/isolinux.bin',
  isohybridMbr: ISOHYBRID_MBR,
  syslinuxModules: '/usr/lib/syslinux/modules/bios',
  grubEfiModules: '/usr/lib/grub/x86_64-efi',
};

/** ldlinux.c32 is ISOLINUX's core; menu.c32 needs libutil.c32, which needs libcom32.c32. */
export const SYSLINUX_MODULES = ['ldlinux.c32', 'menu.c32', 'libutil.c32', 'libcom32.c32'];

/**
 * Built into bootx64.efi, because nothing else is on the medium for GRUB to load modules from:
 * partition tables and file systems (the ISO, the FAT image), finding the medium, the menu and
 * Linux, both terminals, and the video drivers the kernel's EFI framebuffer is set up with.
 */
export const GRUB_EFI_MODULES = [
  'part_gpt',
  'part_msdos',
  'iso9660',
  'fat',
  'search',
  'search_label',
  'search_fs_file',
  'search_fs_uuid',
  'normal',
  'configfile',
  'linux',
  'echo',
  'test',
  'serial',
  'terminal',
  'all_video',
  'efi_gop',
  'efi_uga',
  'ls',
  'cat',
  'halt',
  'reboot',
  'sleep',
];

/** The files of the work directory, relative to it; the same paths on the ISO. */
export const bootLayout = {
  isolinuxDir: 'isolinux',
  isolinuxBin: 'isolinux/isolinux.bin',
  isolinuxCfg: 'isolinux/isolinux.cfg',
  bootCatalog: 'isolinux/boot.cat',
  grubCfg: 'boot/grub/grub.cfg',
  efiDir: 'EFI',
  efiBinary: 'EFI/boot/bootx64.efi',
  efiImage: 'boot/grub/efiboot.img',
  grubEarlyCfg: 'grub-early.cfg',
} as const;

/** 4 MiB: bootx64.efi is about 0.7 MiB, and the firmware reads the whole image, so keep it small. */
export const EFI_IMAGE_KIB = 4096;
/** FAT label of the EFI image: not VIRTUALINUX, or GRUB's search could take the ESP for the medium. */
export const EFI_IMAGE_LABEL = 'VL-EFIBOOT';

export interface BootloaderOptions {
  work: string;
  menu: BootMenu;
  sourceDateEpoch: number;
  sources?: BootloaderSources;
}

/** The FAT serial number: 32 bits of SOURCE_DATE_EPOCH, so each release differs and each rebuild matches. */
export const efiImageSerial = (sourceDateEpoch: number): string =>
  (sourceDateEpoch % 2 ** 32).toString(16).padStart(8, '0');

/**
 * What bootx64.efi runs first: find the medium by its volume id (on a USB stick, also the GPT
 * partition that covers the ISO, which holds the same file system), then read its menu.
 */
export function renderGrubEarlyCfg(volumeId: string): string {
  return [
    '# built into bootx64.efi by iso/bootloaders.ts: find the VirtuaLinux medium, then read its menu',
    `if search --no-floppy --set=root --label ${volumeId}; then`,
    '\tset prefix=($root)/boot/grub',
    '\tconfigfile ($root)/boot/grub/grub.cfg',
    'else',
    `\techo "VirtuaLinux: no medium labelled ${volumeId} was found; the GRUB shell follows."`,
    'fi',
    '',
  ].join('\n');
}

/** Writes text to a file through stdin (dd reads fd 0 itself: Node gives the child a socket, not a file). */
const writeFile = (path: string, text: string): Command => ({
  tool: 'dd',
  args: [`of=${path}`, 'status=none'],
  stdin: text,
});

const mkdir = (...paths: string[]): Command => ({ tool: 'mkdir', args: ['-p', '--', ...paths] });

/** The plan: four actions, each writing one part of the work directory from scratch. */
export function planBootloaders({
  work,
  menu,
  sourceDateEpoch,
  sources = debianSources,
}: BootloaderOptions): Action[] {
  const at = (path: string) => join(work, path);
  const isolinuxCfg = renderIsolinuxCfg(menu);
  const grubCfg = renderGrubCfg(menu);
  const earlyCfg = renderGrubEarlyCfg(menu.volumeId);
  const serial = efiImageSerial(sourceDateEpoch);
  // mtools: the FAT image is not a drive of mtools.conf; dates from SOURCE_DATE_EPOCH, in UTC
  const mtoolsEnv = { MTOOLS_SKIP_CHECK: '1', SOURCE_DATE_EPOCH: String(sourceDateEpoch), TZ: 'UTC' };
  const image = at(bootLayout.efiImage);

  return [
    {
      id: 'bootloaders:isolinux',
      description: 'ISOLINUX for BIOS: isolinux.bin, its menu modules and isolinux.cfg',
      commands: [
        { tool: 'rm', args: ['-rf', '--', at(bootLayout.isolinuxDir)] },
        mkdir(at(bootLayout.isolinuxDir)),
        {
          tool: 'cp',
          args: [
            '--',
            sources.isolinuxBin,
            ...SYSLINUX_MODULES.map((module) => join(sources.syslinuxModules, module)),
            at(bootLayout.isolinuxDir),
          ],
        },
        writeFile(at(bootLayout.isolinuxCfg), isolinuxCfg),
      ],
      inputs: { sources, isolinuxCfg },
    },
    {
      id: 'bootloaders:grub-cfg',
      description: 'GRUB menu for UEFI: boot/grub/grub.cfg',
      commands: [mkdir(at('boot/grub')), writeFile(at(bootLayout.grubCfg), grubCfg)],
      inputs: { grubCfg },
    },
    {
      id: 'bootloaders:grub-efi',
      description: `GRUB for UEFI: EFI/boot/bootx64.efi with ${GRUB_EFI_MODULES.length} modules and an early config built in`,
      commands: [
        mkdir(at('EFI/boot')),
        writeFile(at(bootLayout.grubEarlyCfg), earlyCfg),
        {
          tool: 'grub-mkimage',
          args: [
            '--format=x86_64-efi',
            `--directory=${sources.grubEfiModules}`,
            '--prefix=/boot/grub',
            `--config=${at(bootLayout.grubEarlyCfg)}`,
            `--output=${at(bootLayout.efiBinary)}`,
            ...GRUB_EFI_MODULES,
          ],
        },
      ],
      inputs: { sources, earlyCfg, modules: GRUB_EFI_MODULES },
    },
    {
      id: 'bootloaders:efiboot',
      description: `UEFI boot image: ${EFI_IMAGE_KIB} KiB FAT (serial ${serial}) holding EFI/BOOT/BOOTX64.EFI`,
      commands: [
        { tool: 'rm', args: ['-f', '--', image] },
        mkdir(at('boot/grub')),
        {
          tool: 'mkfs.fat',
          args: ['-C', '--invariant', '-i', serial, '-n', EFI_IMAGE_LABEL, image, String(EFI_IMAGE_KIB)],
        },
        { tool: 'mmd', args: ['-i', image, '::/EFI', '::/EFI/BOOT'], env: mtoolsEnv },
        {
          tool: 'mcopy',
          args: ['-i', image, at(bootLayout.efiBinary), '::/EFI/BOOT/BOOTX64.EFI'],
          env: mtoolsEnv,
        },
      ],
      // it holds what grub-mkimage made, so it changes with everything that did
      inputs: {
        sources,
        earlyCfg,
        modules: GRUB_EFI_MODULES,
        sourceDateEpoch,
        size: EFI_IMAGE_KIB,
        label: EFI_IMAGE_LABEL,
      },
    },
  ];
}

/** What of the work directory goes on the ISO, and where (the early config does not). */
export function bootloaderIsoFiles(work: string): IsoFile[] {
  return [bootLayout.isolinuxDir, bootLayout.grubCfg, bootLayout.efiImage, bootLayout.efiDir].map((path) => ({
    from: join(work, path),
    to: `/${path}`,
  }));
}

/** The El Torito part of an IsoSpec for these boot loaders. */
export function bootloaderBoot(sources: BootloaderSources = debianSources): Pick<IsoSpec, 'bios' | 'efi'> {
  return {
    bios: {
      image: `/${bootLayout.isolinuxBin}`,
      catalog: `/${bootLayout.bootCatalog}`,
      mbr: sources.isohybridMbr,
    },
    efi: { image: `/${bootLayout.efiImage}` },
  };
}

/** Every host file the boot loaders are made of, with its Debian package: for a stage's cache key. */
export function bootloaderHostFiles(
  sources: BootloaderSources = debianSources,
): Array<{ path: string; package: string }> {
  return [
    { path: sources.isolinuxBin, package: 'isolinux' },
    { path: sources.isohybridMbr, package: 'isolinux' },
    ...SYSLINUX_MODULES.map((module) => ({
      path: join(sources.syslinuxModules, module),
      package: 'syslinux-common',
    })),
    ...GRUB_EFI_MODULES.map((module) => ({
      path: join(sources.grubEfiModules, `${module}.mod`),
      package: 'grub-efi-amd64-bin',
    })),
  ];
}

/** Debian packages the boot loaders need on the build host, files and tools together. */
export const BOOTLOADER_PACKAGES = [
  'isolinux',
  'syslinux-common',
  'grub-efi-amd64-bin',
  'mtools',
  'dosfstools',
];

/** Refuses to plan when a file the boot loaders are made of is missing, naming the package to install. */
export function checkBootloaderSources(sources: BootloaderSources = debianSources): void {
  const missing = bootloaderHostFiles(sources).filter(({ path }) => !existsSync(path));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((file) => file.package))];
  throw new UserError(
    `the boot loaders cannot be made: ${missing.length === 1 ? 'a file is' : `${missing.length} files are`} missing: ${missing
      .slice(0, 3)
      .map((file) => file.path)
      .join(', ')}${missing.length > 3 ? ', ...' : ''}`,
    `apt-get install ${packages.join(' ')}`,
  );
}
