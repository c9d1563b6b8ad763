/** The target layout: what the spec and the DVD's images make of a LUN, before looking at it. */
import { describe, expect, test } from 'vitest';
import { layoutNeed } from '../../../../core/spec/derive.ts';
import { extractProgress as unpackProgress } from '../../../../images/archive.ts';
import { partitionDevice } from '../../../../installer/engine/commands.ts';
import { describeNeed, ext4Label, targetLayout } from '../../../../installer/engine/layout.ts';
import { edit, example, valid } from '../../core/spec/check.ts';
import { catchRefusal, exampleImages } from './fixtures/recorded.ts';

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const spec = valid(example);
const images = exampleImages();

describe('targetLayout', () => {
  const layout = targetLayout(spec, images, { sharedVg: false });

  test('a GPT: 1 MiB BIOS boot, VLBOOT of spec.storage.boot, the LVM physical volume to the end', () => {
    expect(layout.partitions.map((p) => [p.number, p.name, p.type.code, p.start / MiB, p.bytes])).toEqual([
      [1, 'vl-bios-boot', 'ef02', 1, MiB],
      [2, 'VLBOOT', 'ef00', 2, 512 * MiB],
      [3, 'vl_lab', '8e00', 514, undefined],
    ]);
  });

  test('vl_meta, a golden volume per image, a layer per blade tagged with its name, the shared volumes', () => {
    expect(layout.volumes.map((v) => [v.name, v.bytes / MiB, v.tags.join(',')])).toEqual([
      ['vl_meta', 64, ''],
      ['img_node', 3072, ''],
      ['img_debian-12', 2048, ''],
      ['img_ubuntu-24.04', 2048, ''],
      ['img_rocky-9', 2048, ''],
      ['node_node01', 2048, 'node01'],
      ['node_node02', 2048, 'node02'],
      ['node_node03', 2048, 'node03'],
      ['shared_home', 4096, ''],
    ]);
  });

  test('with sizes in whole extents, it needs what the spec says it needs; a shared VG adds the sanlock leases', () => {
    expect(layout.need.total).toBe(layoutNeed(spec).total);
    const shared = targetLayout(spec, images, { sharedVg: true });
    expect(shared.need.total - layout.need.total).toBe(256 * MiB);
    expect(describeNeed(shared)).toBe(
      'VLBOOT 512 MiB, vl_meta 64 MiB, 4 golden images 9 GiB, 3 blade layers 6 GiB, 1 shared volume 4 GiB, sanlock leases 256 MiB, LVM and GPT overhead 8 MiB',
    );
  });

  test('sizes are rounded up to whole 4 MiB extents, VLBOOT to whole MiB', () => {
    const odd = valid(
      edit(
        example,
        ['bladeLayer: 2GiB', 'bladeLayer: 1001MiB'],
        ['storage:\n', 'storage:\n  boot: 300.5MiB\n'],
      ),
    );
    const layout = targetLayout(odd, images, { sharedVg: false });
    expect(layout.volumes.find((v) => v.name === 'node_node01')?.bytes).toBe(1004 * MiB);
    expect(layout.partitions[1]?.bytes).toBe(301 * MiB);
    expect(layout.partitions[2]?.start).toBe(303 * MiB);
  });

  test('a golden volume smaller than its image unpacked plus 10% is refused, with the numbers', () => {
    const tight = valid(edit(example, ['node: 3GiB', 'node: 900MiB']));
    const refusal = catchRefusal(() => targetLayout(tight, images, { sharedVg: false }));
    expect(refusal.reason).toBe('image-too-large');
    expect(refusal.message).toBe(
      'image node unpacks to 923.5 MiB, but its golden volume img_node would be 900 MiB: it needs at least 1015.8 MiB (the files and 10% for the filesystem)',
    );
    expect(refusal.hint).toBe('set storage.images.node: 1GiB in the spec');
  });

  test('a node image the DVD does not carry is refused: no blade could boot', () => {
    const { node: _, ...withoutNode } = images;
    const refusal = catchRefusal(() => targetLayout(spec, withoutNode, { sharedVg: false }));
    expect(refusal.reason).toBe('image-missing');
    expect(refusal.message).toBe(
      "the spec's node image is node, but the DVD carries no image node (it has: debian-12, rocky-9, ubuntu-24.04)",
    );
  });

  test('a virtual-cluster image the DVD does not carry is left out, and said', () => {
    const { 'rocky-9': _, ...withoutRocky } = images;
    const layout = targetLayout(spec, withoutRocky, { sharedVg: false });
    expect(layout.imagesLeftOut).toEqual(['rocky-9']);
    expect(layout.volumes.map((v) => v.name)).not.toContain('img_rocky-9');
    expect(layout.need.images).toBe(targetLayout(spec, images, { sharedVg: false }).need.images - 2 * GiB);
  });

  test('ext4 labels hold 16 characters', () => {
    expect(ext4Label('a-very-long-blade-name')).toBe('a-very-long-blad');
  });
});

describe('commands', () => {
  test('partition nodes: a digit at the end of the disk name takes a p', () => {
    expect(['/dev/sdb', '/dev/nvme0n1', '/dev/loop0'].map((d) => partitionDevice(d, 2))).toEqual([
      '/dev/sdb2',
      '/dev/nvme0n1p2',
      '/dev/loop0p2',
    ]);
  });

  test("tar's checkpoint line while unpacking (GNU tar 1.34) is progress in bytes", () => {
    expect(unpackProgress('tar: unpacked r: 2037760 (2.0MiB, 399MiB/s)', 4 * GiB)).toEqual({
      stage: 'unpack',
      done: 2037760,
      total: 4 * GiB,
      unit: 'bytes',
    });
    expect(unpackProgress('tar: ./etc/shadow: Cannot open')).toBeUndefined();
  });
});
