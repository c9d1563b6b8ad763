/** The observation model, on tools' output recorded from real LUNs (fixtures/README.md). */
import { describe, expect, test } from 'vitest';
import {
  LSBLK_COLUMNS,
  lsblkCommand,
  lvmReportCommands,
  ObservationError,
  parseLsblk,
  parseLunObservation,
  parseSfdisk,
  parseWipefs,
  sfdiskCommand,
} from '../../../../installer/engine/observation.ts';
import { fixture, recorded } from './fixtures/recorded.ts';

const GiB = 2 ** 30;

describe('a recorded LUN', () => {
  test('fresh: its size, and nothing on it', () => {
    const lun = parseLunObservation(recorded('fresh'));
    expect(lun).toEqual({
      device: '/dev/loop0',
      bytes: 40 * GiB,
      partitions: [],
      signatures: [],
      volumeGroups: [],
      mappedDevices: [],
    });
  });

  test('what is stacked on the LUN, as lsblk shows it where udev runs: device-mapper devices, deepest first', () => {
    // lsblk -J in the installer: a LUN overwritten from elsewhere, two volumes of the old VG still active
    const part = (name: string, children: object[] = []) => ({
      name,
      path: `/dev/${name}`,
      size: 1,
      type: 'part',
      children,
    });
    const lvm = (name: string) => ({ name, path: `/dev/mapper/${name}`, size: 1, type: 'lvm' });
    const lsblk = JSON.stringify({
      blockdevices: [
        {
          name: 'sdb',
          path: '/dev/sdb',
          size: 40 * GiB,
          type: 'disk',
          children: [
            part('sdb1'),
            part('sdb3', [
              lvm('vl_lab-img_node'),
              { ...lvm('vl_lab-node_node01'), children: [lvm('crypt0')] },
            ]),
          ],
        },
      ],
    });
    const lun = parseLunObservation({ ...recorded('fresh'), lsblk });
    expect(lun.mappedDevices).toEqual(['vl_lab-img_node', 'crypt0', 'vl_lab-node_node01']);
  });

  test('foreign: the GPT, each partition with what is on it, the VG and its volume', () => {
    const lun = parseLunObservation(recorded('foreign'));
    expect(lun.partitionTable).toMatchObject({ type: 'gpt', sectorBytes: 512 });
    expect(lun.signatures.map((s) => s.type).sort()).toEqual(['PMBR', 'gpt', 'gpt']);
    expect(
      lun.partitions.map((p) => [
        p.number,
        p.name,
        p.bytes / GiB,
        p.signatures.map((s) => [s.type, s.label]),
      ]),
    ).toEqual([
      [1, 'data', 10, [['ext4', 'data']]],
      [2, 'swap', 2, [['swap', 'swap']]],
      [3, 'vg0', 8, [['LVM2_member', undefined]]],
    ]);
    expect(lun.partitions[0]).toMatchObject({
      device: '/dev/loop7p1',
      start: 2 ** 20,
      type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
    });
    expect(lun.volumeGroups).toEqual([
      {
        name: 'vg0',
        bytes: 8 * GiB - 4 * 2 ** 20,
        freeBytes: 2 * GiB - 4 * 2 ** 20,
        extentBytes: 4 * 2 ** 20,
        tags: [],
        logicalVolumes: [{ name: 'root', bytes: 6 * GiB, tags: [], readOnly: false }],
      },
    ]);
  });

  test('complete: the VirtuaLinux tags on the VG and its volumes; golden images read-only', () => {
    const [vg] = parseLunObservation(recorded('complete')).volumeGroups;
    expect(vg?.name).toBe('vl_lab');
    expect(vg?.lockType).toBeUndefined();
    expect(vg?.tags.filter((t) => !t.startsWith('vl.boot='))).toEqual(['virtualinux', 'vl.cluster=lab']);
    const volumes = Object.fromEntries((vg?.logicalVolumes ?? []).map((lv) => [lv.name, lv]));
    expect(volumes.node_node02).toEqual({
      name: 'node_node02',
      bytes: 2 * GiB,
      tags: ['node02', 'vl.ready'],
      readOnly: false,
    });
    expect(volumes.img_node).toMatchObject({ bytes: 3 * GiB, readOnly: true });
    expect(volumes.img_node?.tags).toEqual([
      'vl.image=a20a6735f4f41d24facf55bac17b68559a84cdb42758402c9633b9894d6dff58',
    ]);
  });
});

describe('the parsers, one per tool', () => {
  test('lsblk on a live system: the SCSI identity, trimmed (hand-written fixture: no iSCSI here)', () => {
    expect(parseLsblk(fixture('iscsi.lsblk.txt'))).toMatchObject({
      path: '/dev/sdb',
      size: 40 * GiB,
      type: 'disk',
      vendor: 'IET',
      model: 'VIRTUAL-DISK',
      serial: 'beaf11',
      pttype: 'gpt',
    });
  });

  test('lsblk before util-linux 2.33 printed sizes as strings', () => {
    const old = '{"blockdevices": [{"name": "sdb", "size": "1073741824", "type": "disk"}]}';
    expect(parseLsblk(old).size).toBe(GiB);
  });

  test('sfdisk: nothing printed is no partition table', () => {
    expect(fixture('fresh.sfdisk.txt')).toBe('');
    expect(parseSfdisk('')).toBeUndefined();
  });

  test('sfdisk: an MBR table has no names, and its types are hex ids', () => {
    const mbr = JSON.stringify({
      partitiontable: {
        label: 'dos',
        id: '0x5e1f1e2a',
        device: '/dev/sdc',
        unit: 'sectors',
        sectorsize: 4096,
        partitions: [{ node: '/dev/sdc1', start: 256, size: 2048, type: '83' }],
      },
    });
    expect(parseSfdisk(mbr)).toEqual({
      type: 'dos',
      id: '0x5e1f1e2a',
      sectorBytes: 4096,
      partitions: [{ number: 1, device: '/dev/sdc1', start: 2 ** 20, bytes: 8 * 2 ** 20, type: '83' }],
    });
  });

  test('wipefs: offsets are hexadecimal; no signature at all may print nothing', () => {
    expect(parseWipefs(fixture('foreign.wipefs-p1.txt'))).toEqual([
      { type: 'ext4', offset: 0x438, label: 'data', uuid: expect.any(String) },
    ]);
    expect(parseWipefs(fixture('fresh.wipefs.txt'))).toEqual([]);
    expect(parseWipefs('')).toEqual([]);
  });

  test('output the installer cannot read is an error naming the tool', () => {
    expect(() => parseLsblk('lsblk: unknown column: PTTYPE')).toThrow(ObservationError);
    expect(() => parseLsblk('{"blockdevices": []}')).toThrow(/lsblk.*listed no device/);
    expect(() => parseWipefs('{"signatures": [{"offset": "512", "type": "gpt"}]}')).toThrow(
      /wipefs.*signatures\.0\.offset/,
    );
  });
});

describe('the commands the observer runs', () => {
  test('lsblk in bytes with the columns the model reads; sfdisk may find no table', () => {
    expect(lsblkCommand('/dev/sdb').args).toEqual(['-J', '-b', '-o', LSBLK_COLUMNS, '/dev/sdb']);
    expect(sfdiskCommand('/dev/sdb').allowExitCodes).toEqual([1]);
  });

  test("LVM reports read the LUN's physical volumes only, without taking locks", () => {
    const { vgs, lvs } = lvmReportCommands(['/dev/sdb3']);
    expect(vgs.args.slice(0, 9)).toEqual([
      '--readonly',
      '--shared',
      '--reportformat',
      'json',
      '--units',
      'b',
      '--nosuffix',
      '--devices',
      '/dev/sdb3',
    ]);
    expect(lvs.args.at(-1)).toBe('lv_name,vg_name,lv_size,lv_tags,lv_permissions');
  });
});
