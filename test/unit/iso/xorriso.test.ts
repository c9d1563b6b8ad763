/** The xorriso wrapper: the command line built from an IsoSpec, its refusals, and its reports read back. */
import { describe, expect, test } from 'vitest';
import { UserError } from '../../../core/errors.ts';
import { bootloaderBoot, bootloaderIsoFiles } from '../../../iso/bootloaders.ts';
import {
  type IsoSpec,
  parseElTorito,
  VOLUME_ID,
  volumeDateUuid,
  xorrisoCommand,
  xorrisoProgress,
} from '../../../iso/xorriso.ts';

const EPOCH = 1764000000;
const spec: IsoSpec = {
  output: '/out/virtualinux.iso.partial',
  volumeId: VOLUME_ID,
  files: [
    ...bootloaderIsoFiles('/cache/dvd/boot/k1'),
    { from: '/cache/dvd/squashfs/k2', to: '/live' },
    { from: '/srv/a dir/odd=name\\file', to: '/images/odd=name\\file' },
  ],
  ...bootloaderBoot(),
  sourceDateEpoch: EPOCH,
};

/** the values given to one native verb, in order */
const valuesOf = (args: string[], verb: string, arity = 1) =>
  args.flatMap((arg, i) => (arg === verb ? [args.slice(i + 1, i + 1 + arity)] : []));

describe('xorriso, native command mode', () => {
  const { tool, args, env } = xorrisoCommand(spec);

  test('no startup files, a new image on the output, labelled VIRTUALINUX', () => {
    expect(tool).toBe('xorriso');
    expect(args[0]).toBe('-no_rc');
    expect(valuesOf(args, '-outdev')).toEqual([['stdio:/out/virtualinux.iso.partial']]);
    expect(valuesOf(args, '-volid')).toEqual([['VIRTUALINUX']]);
    expect(args.slice(-2)).toEqual(['-commit', '-end']);
  });

  test('every file is one -map with its host path and ISO path as two words, nothing escaped', () => {
    expect(valuesOf(args, '-map', 2)).toEqual([
      ['/cache/dvd/boot/k1/isolinux', '/isolinux'],
      ['/cache/dvd/boot/k1/boot/grub/grub.cfg', '/boot/grub/grub.cfg'],
      ['/cache/dvd/boot/k1/boot/grub/efiboot.img', '/boot/grub/efiboot.img'],
      ['/cache/dvd/boot/k1/EFI', '/EFI'],
      ['/cache/dvd/squashfs/k2', '/live'],
      ['/srv/a dir/odd=name\\file', '/images/odd=name\\file'],
    ]);
  });

  test('hybrid boot: ISOLINUX El Torito + isohybrid MBR, then the EFI image, also a GPT partition', () => {
    expect(valuesOf(args, '-boot_image', 2)).toEqual([
      ['isolinux', 'system_area=/usr/lib/ISOLINUX/isohdpfx.bin'],
      ['isolinux', 'bin_path=/isolinux/isolinux.bin'],
      ['isolinux', 'cat_path=/isolinux/boot.cat'],
      ['any', 'load_size=2048'],
      ['any', 'boot_info_table=on'],
      ['any', 'next'],
      ['any', 'efi_path=/boot/grub/efiboot.img'],
      ['isolinux', 'partition_entry=gpt_basdat'],
      ['any', 'gpt_disk_guid=volume_date_uuid'],
    ]);
  });

  test('every date, and the GPT GUIDs, come from SOURCE_DATE_EPOCH; owners are root', () => {
    expect(volumeDateUuid(EPOCH)).toBe('2025112416000000');
    expect(valuesOf(args, '-volume_date', 2)).toEqual([
      ['uuid', '2025112416000000'],
      ['c', '=1764000000'],
      ['m', '=1764000000'],
      ['all_file_dates', '=1764000000'],
    ]);
    expect(valuesOf(args, '-iso_nowtime')).toEqual([['=1764000000']]);
    expect(env).toEqual({ SOURCE_DATE_EPOCH: '1764000000' });
    expect(valuesOf(args, '-chown_r', 3)).toEqual([['0', '/', '--']]);
    expect(valuesOf(args, '-chgrp_r', 3)).toEqual([['0', '/', '--']]);
  });
});

describe('specs xorriso would turn into a broken DVD are refused', () => {
  const refusal = (changed: Partial<IsoSpec>): string => {
    try {
      xorrisoCommand({ ...spec, ...changed });
    } catch (error) {
      expect(error).toBeInstanceOf(UserError);
      return (error as UserError).message;
    }
    throw new Error('the spec was accepted');
  };

  test('a boot image that is not among the files put on the ISO', () => {
    expect(refusal({ files: spec.files.filter((f) => f.to !== '/boot/grub/efiboot.img') })).toMatch(
      /EFI boot image \/boot\/grub\/efiboot.img is not among the files put on the ISO/,
    );
  });

  test('a relative host path, a volume id GRUB could not match', () => {
    expect(refusal({ files: [...spec.files, { from: 'live', to: '/live2' }] })).toMatch(
      /host path "live" must be absolute/,
    );
    expect(refusal({ volumeId: 'VirtuaLinux DVD' })).toMatch(/volume id "VirtuaLinux DVD" must be 1 to 16/);
  });

  test('a whole tree mapped to / covers the boot images', () => {
    expect(() => xorrisoCommand({ ...spec, files: [{ from: '/tree', to: '/' }] })).not.toThrow();
  });
});

// xorriso -no_rc -indev stdio:virtualinux.iso -report_el_torito plain   (an ISO made by xorrisoCommand)
const recordedReport = `El Torito catalog  : 72  1
El Torito cat path : /isolinux/boot.cat
El Torito images   :   N  Pltf  B   Emul  Ld_seg  Hdpt  Ldsiz         LBA
El Torito boot img :   1  BIOS  y   none  0x0000  0x00      4        2121
El Torito boot img :   2  UEFI  y   none  0x0000  0x00   8192          73
El Torito img path :   1  /isolinux/isolinux.bin
El Torito img opts :   1  boot-info-table isohybrid-suitable
El Torito img path :   2  /boot/grub/efiboot.img
`;

describe('reading xorriso back', () => {
  test('the El Torito report lists a BIOS and a UEFI image with their paths', () => {
    expect(parseElTorito(recordedReport)).toEqual([
      { index: 1, platform: 'BIOS', path: '/isolinux/isolinux.bin' },
      { index: 2, platform: 'UEFI', path: '/boot/grub/efiboot.img' },
    ]);
    expect(parseElTorito('')).toEqual([]);
  });

  test('progress while writing: 2 KiB sectors written, total estimated from the percentage', () => {
    // recorded from xorriso 1.5.4 writing a 400 MiB image
    expect(xorrisoProgress('xorriso : UPDATE : Writing:      22819s   10.1%   fifo 100%  buf  50%')).toEqual({
      stage: 'iso',
      done: 22819 * 2048,
      total: Math.round((22819 * 2048 * 100) / 10.1),
      unit: 'bytes',
    });
    expect(xorrisoProgress('xorriso : UPDATE :       2 files added in 1 seconds')).toBeUndefined();
  });
});
