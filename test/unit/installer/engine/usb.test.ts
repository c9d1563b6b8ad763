/**
 * cluster.yaml onto a USB stick: which drives are sticks (lsblk -J, in the shape util-linux 2.38
 * prints it; the trees here are written by hand, as this host has no USB drive), and the save
 * through a fake runner (named so: it answers lsblk and records the mount, sync and umount).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import type { Command } from '../../../../core/exec/command.ts';
import type { Runner } from '../../../../core/exec/runner.ts';
import { saveSpecToUsb, usbSticks } from '../../../../installer/engine/usb.ts';

const GiB = 2 ** 30;
const disk = (over: Record<string, unknown>) => ({
  type: 'disk',
  rm: false,
  hotplug: false,
  tran: null,
  fstype: null,
  label: null,
  mountpoint: null,
  vendor: null,
  model: null,
  ...over,
});
const part = (path: string, fstype: string | null, over: Record<string, unknown> = {}) => ({
  path,
  type: 'part',
  rm: false,
  hotplug: false,
  tran: null,
  size: 7 * GiB,
  fstype,
  label: null,
  mountpoint: null,
  vendor: null,
  model: null,
  ...over,
});

const STICK = disk({
  path: '/dev/sdc',
  rm: true,
  hotplug: true,
  tran: 'usb',
  size: 7.5 * GiB,
  vendor: 'Kingston',
  model: 'DataTraveler 3.0 ',
  children: [part('/dev/sdc1', 'vfat', { rm: true, hotplug: true, label: 'STICK', size: 7.5 * GiB })],
});
/** the SAN's LUN, the DVD written to a stick, the live system's loop and a virtio disk */
const OTHERS = [
  disk({
    path: '/dev/sdb',
    tran: 'iscsi',
    size: 40 * GiB,
    children: [part('/dev/sdb2', 'vfat', { label: 'VLBOOT' })],
  }),
  disk({
    path: '/dev/sdd',
    rm: true,
    tran: 'usb',
    size: 16 * GiB,
    fstype: 'iso9660',
    children: [part('/dev/sdd2', 'vfat')],
  }),
  { ...disk({ path: '/dev/loop0', size: 800 * 2 ** 20, fstype: 'squashfs' }), type: 'loop' },
  disk({ path: '/dev/vda', tran: null, size: 20 * GiB, fstype: 'ext4' }),
];
const lsblk = (...devices: unknown[]) => JSON.stringify({ blockdevices: devices });

describe('usbSticks', () => {
  test("a USB drive's writable filesystem, named by its drive; the LUN, the DVD on a stick and fixed disks are not sticks", () => {
    expect(usbSticks(lsblk(...OTHERS, STICK))).toEqual([
      {
        device: '/dev/sdc1',
        bytes: 7.5 * GiB,
        fstype: 'vfat',
        label: 'STICK',
        drive: 'Kingston DataTraveler 3.0',
      },
    ]);
    expect(usbSticks(lsblk(...OTHERS))).toEqual([]);
  });

  test('a stick without a partition table, an ext4 one, one already mounted; NTFS and no filesystem are left out', () => {
    const bare = disk({ path: '/dev/sde', rm: true, size: 4 * GiB, fstype: 'exfat' });
    const mounted = disk({
      path: '/dev/sdf',
      tran: 'usb',
      size: 8 * GiB,
      children: [
        part('/dev/sdf1', 'ntfs'),
        part('/dev/sdf2', 'ext4', { mountpoint: '/media/stick' }),
        part('/dev/sdf3', null),
      ],
    });
    expect(usbSticks(lsblk(bare, mounted)).map((s) => [s.device, s.fstype, s.mountpoint])).toEqual([
      ['/dev/sde', 'exfat', undefined],
      ['/dev/sdf2', 'ext4', '/media/stick'],
    ]);
  });
});

describe('saveSpecToUsb', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  function machine(...devices: unknown[]) {
    const root = mkdtempSync(join(tmpdir(), 'vl-usb-'));
    roots.push(root);
    const ran: string[] = [];
    const runner: Runner = {
      dryRun: false,
      run: async (command: Command) => {
        ran.push([command.tool, ...command.args].join(' '));
        return { exitCode: 0, stdout: command.tool === 'lsblk' ? lsblk(...devices) : '', stderr: '' };
      },
    };
    return { root, ran, runner };
  }

  test('mounted for it, written, synced, unmounted; a cluster.yaml already there stays', async () => {
    const { root, ran, runner } = machine(...OTHERS, STICK);
    mkdirSync(join(root, 'run/virtualinux/usb'), { recursive: true });
    writeFileSync(join(root, 'run/virtualinux/usb/cluster.yaml'), 'an older cluster\n');
    const where = await saveSpecToUsb('cluster:\n  name: lab\n', runner, root);
    expect(where).toBe(
      'cluster.yaml saved as cluster-2.yaml on /dev/sdc1 (Kingston DataTraveler 3.0, 7.5 GiB, "STICK"); it can be unplugged',
    );
    expect(readFileSync(join(root, 'run/virtualinux/usb/cluster-2.yaml'), 'utf8')).toBe(
      'cluster:\n  name: lab\n',
    );
    expect(readFileSync(join(root, 'run/virtualinux/usb/cluster.yaml'), 'utf8')).toBe('an older cluster\n');
    expect(ran.slice(1)).toEqual([
      'mount /dev/sdc1 /run/virtualinux/usb',
      'sync -f /run/virtualinux/usb/cluster-2.yaml',
      'umount /run/virtualinux/usb',
    ]);
  });

  test('a stick mounted already is written where it is and left mounted', async () => {
    const mounted = disk({
      path: '/dev/sdf',
      tran: 'usb',
      size: 8 * GiB,
      children: [part('/dev/sdf1', 'vfat', { mountpoint: '/media/stick' })],
    });
    const { root, ran, runner } = machine(mounted);
    mkdirSync(join(root, 'media/stick'), { recursive: true });
    expect(await saveSpecToUsb('x: 1\n', runner, root)).toMatch(/; at \/media\/stick\/cluster\.yaml$/);
    expect(ran.slice(1)).toEqual(['sync -f /media/stick/cluster.yaml']);
  });

  test('no stick: said, with what to do, and nothing mounted', async () => {
    const { root, ran, runner } = machine(...OTHERS);
    await expect(saveSpecToUsb('x: 1\n', runner, root)).rejects.toMatchObject({
      message: 'no USB stick to save cluster.yaml on (one with a FAT, exFAT or ext4 filesystem)',
      hint: 'plug one in and press again; cluster.yaml is in vl_meta on the LUN anyway',
    });
    expect(ran).toHaveLength(1);
  });
});
