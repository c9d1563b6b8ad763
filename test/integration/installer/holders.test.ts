/**
 * Multi-mount protection as a reset reads it, on the host: an ext4 with MMP on a loop device,
 * mounted (the kernel's kmmpd updates it, as a running blade's does) and unmounted.
 */
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { createRunner } from '../../../core/exec/runner.ts';
import { mkfsExt4 } from '../../../installer/engine/commands.ts';
import { layerHolder, parseMmpInfo } from '../../../installer/recovery/holders.ts';

const why = process.getuid?.() !== 0 ? 'needs root: mounts a loop device' : undefined;
if (why) console.warn(`skipped: MMP holders: ${why}`);

const runner = createRunner();
const work = mkdtempSync(join(tmpdir(), 'vl-holders-test-'));
const image = join(work, 'node_node01.img');
const mountPoint = join(work, 'mnt');
let loop: string | undefined;
let mounted = false;

afterAll(async () => {
  if (mounted) await execa('umount', [mountPoint], { reject: false });
  if (loop) await execa('losetup', ['-d', loop], { reject: false });
  rmSync(work, { recursive: true, force: true });
});

describe("a blade layer's holder, from its MMP block", () => {
  test('free when made and when unmounted; held, with the holder node name, while mounted', async (context) => {
    if (why) context.skip(why);
    writeFileSync(image, '');
    truncateSync(image, 64 * 2 ** 20);
    await runner.run(mkfsExt4(image, 'node01', { mmp: true }));
    expect(await layerHolder(image, runner)).toEqual({ held: false });

    loop = (await execa('losetup', ['-f', '--show', image])).stdout.trim();
    mkdirSync(mountPoint);
    await execa('mount', ['-t', 'ext4', loop, mountPoint]);
    mounted = true;
    // the kernel's MMP thread now updates the block: e2mmpstatus sees it change during its wait
    expect(await layerHolder(loop, runner)).toEqual({ held: true, by: hostname().slice(0, 64) });

    await execa('umount', [mountPoint]);
    mounted = false;
    expect(await layerHolder(loop, runner)).toEqual({ held: false });
  }, 120_000);
});

describe('e2mmpstatus -i', () => {
  test('the node name, the device and the last update', () => {
    const text = [
      'MMP_block:',
      '    mmp_magic: 0x4d4d50',
      '    mmp_check_interval: 10',
      '    mmp_sequence: 0x000005',
      '    mmp_update_date: Fri Nov 27 11:16:47 2026',
      '    mmp_update_time: 1795778207',
      '    mmp_node_name: node01',
      '    mmp_device_name: dm-1',
      '    mmp_block_number: 4385',
    ].join('\n');
    expect(parseMmpInfo(text)).toEqual({
      nodeName: 'node01',
      deviceName: 'dm-1',
      updated: 1795778207,
      checkInterval: 10,
    });
    expect(parseMmpInfo('')).toEqual({});
  });
});
