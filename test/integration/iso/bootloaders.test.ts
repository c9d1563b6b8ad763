/**
 * The boot loaders for real: the planner's commands run through the runner (grub-mkimage,
 * mkfs.fat, mtools, cp) into temporary directories, then xorriso makes a small hybrid ISO from
 * them and a real Debian kernel. Booting that ISO is left to the e2e tests of the whole DVD.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRunner } from '../../../core/exec/runner.ts';
import { applyPlan } from '../../../core/plan/apply.ts';
import { Journal } from '../../../core/plan/journal.ts';
import { cacheRoot } from '../../../images/paths.ts';
import {
  bootLayout,
  bootloaderBoot,
  bootloaderIsoFiles,
  checkBootloaderSources,
  debianSources,
  planBootloaders,
  SYSLINUX_MODULES,
} from '../../../iso/bootloaders.ts';
import { bootMenu, renderGrubCfg, renderIsolinuxCfg } from '../../../iso/menu.ts';
import { elToritoReportCommand, parseElTorito, VOLUME_ID, xorrisoCommand } from '../../../iso/xorriso.ts';

const EPOCH = 1764000000;
const menu = bootMenu({ version: '0.1.0' });
const runner = createRunner();
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vl-bootloaders-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Runs the planner's actions in root/NAME through the executor, as the DVD's stage does. */
async function buildBootloaders(name: string, sourceDateEpoch: number): Promise<string> {
  const work = join(root, name);
  const actions = planBootloaders({ work, menu, sourceDateEpoch });
  const journal = await Journal.open(join(root, `${name}.journal.jsonl`));
  await applyPlan({ title: `boot loaders ${name}`, actions }, { runner, journal });
  return work;
}

/** `mdir` of a directory in the FAT image: names and dates as mtools shows them */
async function fatListing(image: string, dir: string): Promise<string> {
  const { stdout } = await runner.run({
    tool: 'mdir',
    args: ['-i', image, dir],
    env: { MTOOLS_SKIP_CHECK: '1' },
  });
  return stdout;
}

describe('boot loaders', () => {
  let first: string;
  let second: string;
  beforeAll(async () => {
    checkBootloaderSources();
    first = await buildBootloaders('first', EPOCH);
    // another time zone for the second run: FAT keeps local time, the build must not
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Tokyo';
    try {
      second = await buildBootloaders('second', EPOCH);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  }, 60_000);

  test('two runs with the same SOURCE_DATE_EPOCH write the same bytes: bootx64.efi and efiboot.img', () => {
    for (const file of [
      bootLayout.efiBinary,
      bootLayout.efiImage,
      bootLayout.isolinuxCfg,
      bootLayout.grubCfg,
    ]) {
      expect(sha256(join(second, file)), file).toBe(sha256(join(first, file)));
    }
  });

  test('another SOURCE_DATE_EPOCH changes the FAT image (serial, dates), not GRUB, which holds no date', async () => {
    const later = await buildBootloaders('later', EPOCH + 86_400);
    expect(sha256(join(later, bootLayout.efiBinary))).toBe(sha256(join(first, bootLayout.efiBinary)));
    expect(sha256(join(later, bootLayout.efiImage))).not.toBe(sha256(join(first, bootLayout.efiImage)));
  });

  test('the FAT image holds EFI/BOOT/BOOTX64.EFI, the same bytes as bootx64.efi, dated SOURCE_DATE_EPOCH', async () => {
    const image = join(first, bootLayout.efiImage);
    const listing = await fatListing(image, '::/EFI/BOOT');
    expect(listing).toMatch(/Volume Serial Number is 6924-8100/); // 1764000000 = 0x69248100
    expect(listing).toMatch(/BOOTX64\s+EFI\s+[\d ]+ 2025-11-24\s+16:00/);
    expect(await fatListing(image, '::/EFI')).toMatch(/BOOT\s+<DIR>\s+2025-11-24\s+16:00/);
    const copy = join(root, 'BOOTX64.EFI');
    await runner.run({
      tool: 'mcopy',
      args: ['-n', '-i', image, '::/EFI/BOOT/BOOTX64.EFI', copy],
      env: { MTOOLS_SKIP_CHECK: '1' },
    });
    expect(sha256(copy)).toBe(sha256(join(first, bootLayout.efiBinary)));
  });

  test('ISOLINUX gets its core and menu modules from the host, and both menus from the one model', () => {
    expect(readdirSync(join(first, 'isolinux')).sort()).toEqual(
      ['isolinux.bin', 'isolinux.cfg', ...SYSLINUX_MODULES].sort(),
    );
    expect(sha256(join(first, bootLayout.isolinuxBin))).toBe(sha256(debianSources.isolinuxBin));
    expect(readFileSync(join(first, bootLayout.isolinuxCfg), 'utf8')).toBe(renderIsolinuxCfg(menu));
    expect(readFileSync(join(first, bootLayout.grubCfg), 'utf8')).toBe(renderGrubCfg(menu));
  });

  describe('a small hybrid ISO with a real kernel', () => {
    let live: string | undefined;
    beforeAll(async () => {
      const images = join(cacheRoot(), 'images', 'debian-12');
      const archive = existsSync(images)
        ? readdirSync(images)
            .map((key) => join(images, key, 'rootfs.tar.zst'))
            .find((path) => existsSync(path))
        : undefined;
      if (!archive) return;
      live = join(root, 'live');
      const unpacked = join(root, 'kernel');
      await runner.run({ tool: 'mkdir', args: ['-p', unpacked, live] });
      await runner.run({
        tool: 'tar',
        args: [
          '--extract',
          '--zstd',
          `--file=${archive}`,
          `--directory=${unpacked}`,
          '--wildcards',
          './boot/vmlinuz-*',
          './boot/initrd.img-*',
        ],
      });
      const boot = readdirSync(join(unpacked, 'boot')).sort();
      const kernel = boot.filter((name) => name.startsWith('vmlinuz-')).at(-1) as string;
      const initrd = boot.filter((name) => name.startsWith('initrd.img-')).at(-1) as string;
      await runner.run({ tool: 'cp', args: [join(unpacked, 'boot', kernel), join(live, 'vmlinuz')] });
      await runner.run({ tool: 'cp', args: [join(unpacked, 'boot', initrd), join(live, 'initrd.img')] });
    }, 60_000);

    async function makeIso(work: string, name: string): Promise<string> {
      const output = join(root, name);
      await runner.run(
        xorrisoCommand({
          output,
          volumeId: VOLUME_ID,
          files: [...bootloaderIsoFiles(work), { from: live as string, to: '/live' }],
          ...bootloaderBoot(),
          sourceDateEpoch: EPOCH,
        }),
      );
      return output;
    }

    test('xorriso lists a BIOS and a UEFI boot image, hybrid MBR and GPT; two builds are the same bytes', async (context) => {
      if (!live)
        context.skip(
          'no debian-12 image in the cache to take a kernel from: run the images integration tests first',
        );
      const iso = await makeIso(first, 'first.iso');
      // from the other work directory: other inodes and mtimes, the same ISO
      const again = await makeIso(second, 'second.iso');
      expect(sha256(again)).toBe(sha256(iso));

      const { stdout } = await runner.run(elToritoReportCommand(iso));
      expect(parseElTorito(stdout)).toEqual([
        { index: 1, platform: 'BIOS', path: '/isolinux/isolinux.bin' },
        { index: 2, platform: 'UEFI', path: '/boot/grub/efiboot.img' },
      ]);
      const area = await runner.run({
        tool: 'xorriso',
        args: ['-no_rc', '-indev', iso, '-report_system_area', 'plain'],
      });
      expect(area.stdout).toMatch(/System area summary: MBR isohybrid .*GPT/);
      expect(area.stdout).toMatch(/GPT partition path :\s+2\s+\/boot\/grub\/efiboot\.img/);

      const listing = await runner.run({
        tool: 'xorriso',
        args: ['-no_rc', '-indev', iso, '-find', '/', '-type', 'f', '-exec', 'lsdl'],
      });
      for (const path of [
        '/live/vmlinuz',
        '/live/initrd.img',
        '/boot/grub/grub.cfg',
        '/EFI/boot/bootx64.efi',
      ]) {
        expect(listing.stdout).toContain(`'${path}'`);
      }
      expect(listing.stdout).not.toContain('grub-early.cfg');
      expect(listing.stdout).toMatch(/ 0 +0 +\d+ Nov 24 {2}2025 '\/live\/vmlinuz'/);
    });
  });
});
