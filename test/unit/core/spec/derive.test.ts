import { describe, expect, test } from 'vitest';
import {
  bladeVolume,
  bootParameters,
  clusterDomain,
  expandBlades,
  goldenVolume,
  initiatorName,
  layoutNeed,
  serviceVip,
  volumeGroup,
} from '../../../../core/spec/derive.ts';
import { edit, example, valid } from './check.ts';

const spec = valid(example);

describe('blades', () => {
  test('a range expands to consecutive names, MACs and addresses', () => {
    expect(expandBlades(spec).map((b) => [b.name, b.mac, b.sifMac, b.ip])).toEqual([
      ['node01', '52:54:00:42:00:01', '52:54:00:10:00:01', '10.42.0.11'],
      ['node02', '52:54:00:42:00:02', '52:54:00:10:00:02', '10.42.0.12'],
      ['node03', '52:54:00:42:00:03', '52:54:00:10:00:03', '10.42.0.13'],
    ]);
  });

  test('a MAC range carries over octet boundaries', () => {
    const s = valid(edit(example, ['mac: 52:54:00:42:00:01', 'mac: 52:54:00:42:00:ff']));
    expect(expandBlades(s).map((b) => b.mac)).toEqual([
      '52:54:00:42:00:ff',
      '52:54:00:42:01:00',
      '52:54:00:42:01:01',
    ]);
  });

  test('an explicit first address and static fabric addresses follow the range', () => {
    const s = valid(
      edit(
        example,
        ['  modules: [virtio_net]', '  modules: [virtio_net]\n  cidr: 10.10.0.0/24'],
        ['    sifMac: 52:54:00:10:00:01\n', '    sifMac: 52:54:00:10:00:01\n    ip: 10.42.0.100\n'],
      ),
    );
    expect(expandBlades(s).map((b) => [b.ip, b.sifIp])).toEqual([
      ['10.42.0.100', '10.10.0.10'],
      ['10.42.0.101', '10.10.0.11'],
      ['10.42.0.102', '10.10.0.12'],
    ]);
  });
});

describe('names', () => {
  test('volumes, initiator names and the domain come from the cluster name', () => {
    const [blade] = expandBlades(spec);
    expect(
      blade && [volumeGroup(spec), goldenVolume('node'), bladeVolume(blade), initiatorName(spec, blade)],
    ).toEqual(['vl_lab', 'img_node', 'node_node01', 'iqn.2026-11.org.virtualinux:lab.node01']);
    expect(clusterDomain(spec)).toBe('lab.virtualinux.test');
    expect(clusterDomain(valid(edit(example, ['  domain: lab.virtualinux.test\n', ''])))).toBe(
      'lab.cluster.internal',
    );
  });

  test('passive services get VIPs from the top of the network unless given', () => {
    expect([serviceVip(spec, 'nfs'), serviceVip(spec, 'syslog')]).toEqual(['10.42.0.254', '10.42.0.253']);
    const s = valid(edit(example, ['  firstHost: 11', '  firstHost: 11\n  vips:\n    nfs: 10.42.0.200']));
    expect([serviceVip(s, 'nfs'), serviceVip(s, 'syslog')]).toEqual(['10.42.0.200', '10.42.0.254']);
  });
});

describe('boot parameters', () => {
  test('carry the names of ARCHITECTURE §4 and never a secret', () => {
    const [, blade] = expandBlades(spec);
    const params = blade ? bootParameters(spec, blade) : [];
    expect(params).toEqual([
      'storage_ip=10.0.2.2',
      'storage_port=3260',
      'sif=eth0',
      'sifm=virtio_net',
      'ivid=iqn.2026-11.org.virtualinux:lab.san',
      'root=vl:vl_lab/img_node+node_node02',
      'vl.node=node02',
      'vl.transport=tcp',
    ]);
    expect(params.join(' ')).not.toMatch(/chap|secret/i);
  });

  test('multipath portals become a comma list; a static fabric adds sifip and sifnm', () => {
    const s = valid(
      edit(
        example,
        ['portals: [10.0.2.2:3260]', 'portals: [10.0.2.2:3260, 10.0.3.2]'],
        ['  modules: [virtio_net]', '  modules: [virtio_net]\n  cidr: 10.10.0.0/22'],
      ),
    );
    const [blade] = expandBlades(s);
    expect(blade && bootParameters(s, blade)).toEqual(
      expect.arrayContaining(['storage_ip=10.0.2.2,10.0.3.2', 'sifip=10.10.0.10', 'sifnm=255.255.252.0']),
    );
  });
});

test('the layout need adds up every volume', () => {
  expect(layoutNeed(spec)).toEqual({
    boot: 512 * 2 ** 20,
    meta: 64 * 2 ** 20,
    images: (3 + 2 + 2 + 2) * 2 ** 30,
    blades: 3 * 2 * 2 ** 30,
    shared: 4 * 2 ** 30,
    overhead: 8 * 2 ** 20,
    total: 512 * 2 ** 20 + 64 * 2 ** 20 + 19 * 2 ** 30 + 8 * 2 ** 20,
  });
});
