/**
 * cluster.yaml onto a USB stick, from the guided installer's Done screen: the spec the screens
 * made leaves the live system with the administrator (it is also in vl_meta on the LUN). A stick
 * is a removable or USB disk with a filesystem Linux writes without extra packages; the DVD itself
 * written to a stick (an iso9660 on it) is never one. A file there is never overwritten.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserError } from '../../core/errors.ts';
import type { Command } from '../../core/exec/command.ts';
import type { Runner } from '../../core/exec/runner.ts';
import { formatBytes } from '../../core/exec/units.ts';

export const lsblkSticksCommand: Command = {
  tool: 'lsblk',
  args: ['-J', '-b', '-o', 'PATH,TYPE,RM,HOTPLUG,TRAN,SIZE,FSTYPE,LABEL,MOUNTPOINT,VENDOR,MODEL'],
};

/** filesystems the live system mounts and writes as they are */
const WRITABLE = new Set(['vfat', 'exfat', 'ext2', 'ext3', 'ext4']);

interface BlockDevice {
  path: string;
  type: string;
  rm?: boolean | null | undefined;
  hotplug?: boolean | null | undefined;
  tran?: string | null | undefined;
  size?: number | null | undefined;
  fstype?: string | null | undefined;
  label?: string | null | undefined;
  mountpoint?: string | null | undefined;
  vendor?: string | null | undefined;
  model?: string | null | undefined;
  children?: BlockDevice[] | undefined;
}

const BlockDevice: z.ZodType<BlockDevice> = z.lazy(() =>
  z.object({
    path: z.string(),
    type: z.string(),
    rm: z.boolean().nullish(),
    hotplug: z.boolean().nullish(),
    tran: z.string().nullish(),
    size: z.number().nullish(),
    fstype: z.string().nullish(),
    label: z.string().nullish(),
    mountpoint: z.string().nullish(),
    vendor: z.string().nullish(),
    model: z.string().nullish(),
    children: z.array(BlockDevice).optional(),
  }),
);

export interface UsbStick {
  /** the filesystem's device: /dev/sdc1, or /dev/sdc for a stick with no partition table */
  device: string;
  bytes: number;
  fstype: string;
  label?: string;
  mountpoint?: string;
  /** vendor and model of the drive, as it names itself */
  drive?: string;
}

const all = (device: BlockDevice): BlockDevice[] => [device, ...(device.children ?? []).flatMap(all)];

/** the sticks' writable filesystems, in lsblk's order */
export function usbSticks(lsblkJson: string): UsbStick[] {
  const parsed = z.object({ blockdevices: z.array(BlockDevice) }).safeParse(JSON.parse(lsblkJson));
  if (!parsed.success)
    throw new Error(`lsblk -J printed what this version does not understand: ${lsblkJson.slice(0, 200)}`);
  const sticks: UsbStick[] = [];
  for (const disk of parsed.data.blockdevices) {
    if (disk.type !== 'disk' || !(disk.tran === 'usb' || disk.rm === true || disk.hotplug === true)) continue;
    const devices = all(disk);
    if (devices.some((d) => d.fstype === 'iso9660')) continue;
    const drive = [disk.vendor, disk.model]
      .map((s) => s?.trim())
      .filter(Boolean)
      .join(' ');
    for (const d of devices) {
      if (!d.fstype || !WRITABLE.has(d.fstype)) continue;
      sticks.push({
        device: d.path,
        bytes: d.size ?? 0,
        fstype: d.fstype,
        ...(d.label && { label: d.label }),
        ...(d.mountpoint && { mountpoint: d.mountpoint }),
        ...(drive && { drive }),
      });
    }
  }
  return sticks;
}

/** cluster.yaml, or cluster-2.yaml, ... : what is on the stick stays */
function freeName(dir: string): string {
  if (!existsSync(join(dir, 'cluster.yaml'))) return 'cluster.yaml';
  for (let n = 2; ; n += 1) if (!existsSync(join(dir, `cluster-${n}.yaml`))) return `cluster-${n}.yaml`;
}

/**
 * Writes the spec onto the first stick (mounted for it, and unmounted again, unless it was mounted
 * already); resolves with where, in a line. `root` stands in for / in tests.
 */
export async function saveSpecToUsb(specText: string, runner: Runner, root = '/'): Promise<string> {
  const [stick] = usbSticks((await runner.run(lsblkSticksCommand)).stdout);
  if (!stick) {
    throw new UserError(
      'no USB stick to save cluster.yaml on (one with a FAT, exFAT or ext4 filesystem)',
      'plug one in and press again; cluster.yaml is in vl_meta on the LUN anyway',
    );
  }
  const mountpoint = stick.mountpoint ?? '/run/virtualinux/usb';
  if (!stick.mountpoint) {
    mkdirSync(join(root, mountpoint), { recursive: true });
    await runner.run({ tool: 'mount', args: [stick.device, mountpoint] });
  }
  try {
    const name = freeName(join(root, mountpoint));
    writeFileSync(join(root, mountpoint, name), specText);
    await runner.run({ tool: 'sync', args: ['-f', join(mountpoint, name)] });
    const what = [stick.drive, formatBytes(stick.bytes), stick.label && `"${stick.label}"`]
      .filter(Boolean)
      .join(', ');
    const unplug = stick.mountpoint ? `at ${join(mountpoint, name)}` : 'it can be unplugged';
    return `cluster.yaml saved as ${name} on ${stick.device} (${what}); ${unplug}`;
  } finally {
    if (!stick.mountpoint) await runner.run({ tool: 'umount', args: [mountpoint] });
  }
}
