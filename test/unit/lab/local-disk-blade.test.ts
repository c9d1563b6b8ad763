/** The blade booting its image from a local disk (bench:boot's comparison) is the SAN blade's machine otherwise. */

import { describe, expect, test } from 'vitest';
import { expandBlades } from '../../../core/spec/derive.ts';
import { EXAMPLE_SPEC_URL } from '../../../core/spec/example.ts';
import { loadSpec } from '../../../core/spec/load.ts';
import { bladeVm, LOCAL_ROOT, localDiskBladeVm } from '../../../lab/blades.ts';
import { qemuCommand } from '../../../lab/qemu.ts';
import type { LabState } from '../../../lab/state.ts';

const [node01] = expandBlades(loadSpec(EXAMPLE_SPEC_URL.pathname));
if (!node01) throw new Error('the example has blades');
const state = { network: { group: '239.255.1.2', port: 23456 } } as LabState;
const boot = { kernel: '/work/local/vmlinuz', initrd: '/work/local/initrd.img' };

describe('localDiskBladeVm', () => {
  const san = bladeVm(state, node01, '/lab/boot/node01');
  const local = localDiskBladeVm(state, node01, '/work/local/node.img', boot);

  test("the SAN blade's memory, CPUs, machine type, watchdog and NICs (same MACs, same segment)", () => {
    expect(local.memoryMiB).toBe(san.memoryMiB);
    expect(local.cpus).toBe(san.cpus);
    expect(local.extraArgs).toEqual(san.extraArgs);
    expect(local.nics?.map((nic) => [nic.mac, nic.net.kind])).toEqual(
      san.nics?.map((nic) => [nic.mac, nic.net.kind]),
    );
    expect(local.nics?.[1]?.net).toEqual({ kind: 'mcast', ...state.network });
  });

  test("no boot ROM: no TFTP, no iPXE script, no boot index; the image's kernel and initramfs instead", () => {
    const args = qemuCommand({ ...local, name: 'node01-local' }).args.join(' ');
    expect(args).not.toMatch(/tftp=|bootfile=|bootindex=/);
    expect(args).toContain('-kernel /work/local/vmlinuz -initrd /work/local/initrd.img');
    expect(args).toContain('-drive file=/work/local/node.img,format=raw,if=virtio');
    // a machine that fails to boot stops instead of looping
    expect(args).toContain('-no-reboot');
  });

  test("root on the disk by initramfs-tools' own local boot, read-write, on VLBOOT's consoles", () => {
    const append = local.kernel?.append?.split(' ') ?? [];
    expect(append).toEqual(expect.arrayContaining([`root=${LOCAL_ROOT}`, 'rw', 'console=ttyS0,115200n8']));
    expect(append.indexOf('console=tty0')).toBeLessThan(append.indexOf('console=ttyS0,115200n8'));
    expect(append.some((word) => word.startsWith('boot='))).toBe(false);
  });
});
