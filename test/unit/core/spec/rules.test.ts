import { describe, expect, test } from 'vitest';
import { edit, example, lineOf, problems, valid } from './check.ts';

/** the single problem a spec has, or a failure listing them all */
function theProblem(text: string): string {
  const found = problems(text);
  expect(found, found.join('\n')).toHaveLength(1);
  return found[0] ?? '';
}

describe('the example spec', () => {
  test('is valid', () => {
    expect(problems(example)).toEqual([]);
  });
});

describe('unknown keys', () => {
  test('a typo at the top level names the key, its line and the key meant', () => {
    const text = edit(example, ['\nnetwork:\n', '\nnetwrok:\n']);
    expect(theProblem(text)).toBe(
      `cluster.yaml:${lineOf(text, 'netwrok')}:1: netwrok: unknown key "netwrok" (did you mean "network"?)`,
    );
  });

  test('a swapped pair of letters in a nested key is one typo', () => {
    const text = edit(example, ['  firstHost: 11', '  fristHost: 11']);
    expect(problems(text)).toContain(
      `cluster.yaml:${lineOf(text, 'fristHost')}:3: network.fristHost: unknown key "fristHost" (did you mean "firstHost"?)`,
    );
  });

  test('a key inside a list item is located in that item', () => {
    const text = edit(example, ['    sifMac: 52:54:00:10:00:01', '    sifmac: 52:54:00:10:00:01']);
    expect(theProblem(text)).toBe(
      `cluster.yaml:${lineOf(text, 'sifmac')}:5: nodes[0].sifmac: unknown key "sifmac" (did you mean "sifMac"?)`,
    );
  });

  test('a key with no near match lists what is allowed', () => {
    const text = edit(example, ['  transport: tcp', '  transport: tcp\n  colour: blue']);
    expect(theProblem(text)).toMatch(
      /san\.colour: unknown key "colour" \(expected one of portals, target, lun, transport, chap, size\)/,
    );
  });

  test('an unknown passive service in vips suggests the one meant', () => {
    const text = edit(example, ['  firstHost: 11', '  firstHost: 11\n  vips:\n    nsf: 10.42.0.200']);
    expect(theProblem(text)).toMatch(
      /^cluster\.yaml:\d+:5: network\.vips\.nsf: unknown key "nsf" \(did you mean "nfs"\?\)$/,
    );
  });
});

describe('syntax of values', () => {
  test('a bad IQN says what an IQN looks like', () => {
    const text = edit(example, [
      'target: iqn.2026-11.org.virtualinux:lab.san',
      'target: iqn.2026-13.org:lab',
    ]);
    expect(theProblem(text)).toBe(
      `cluster.yaml:${lineOf(text, 'iqn.2026-13')}:11: san.target: "iqn.2026-13.org:lab" is not an iSCSI qualified name (expected iqn.YYYY-MM.reversed.domain:name in lower case, e.g. iqn.2026-11.org.example:san1)`,
    );
  });

  test('a bad MAC says what a MAC looks like', () => {
    const text = edit(example, ['mac: 52:54:00:42:00:01', 'mac: 52:54:00:42:00']);
    expect(theProblem(text)).toBe(
      `cluster.yaml:${lineOf(text, 'mac: 52')}:10: nodes[0].mac: "52:54:00:42:00" is not a MAC address (expected six hex pairs like 52:54:00:12:34:56)`,
    );
  });

  test('a multicast MAC is refused', () => {
    const text = edit(example, ['mac: 52:54:00:42:00:01', 'mac: 01:00:5e:00:00:01']);
    expect(theProblem(text)).toMatch(/nodes\[0\]\.mac: 01:00:5e:00:00:01 is a multicast address/);
  });

  test.each([
    ['10.42.0.0/33', 'prefix /33 in "10.42.0.0/33" is out of range (expected /8 to /30)'],
    ['10.42.0.0', '"10.42.0.0" is not a network (expected ADDRESS/PREFIX like 10.42.0.0/24)'],
    ['10.42.0.300/24', '"10.42.0.300" in "10.42.0.300/24" is not an IPv4 address'],
    ['10.42.0.5/24', '"10.42.0.5/24" has host bits set (expected the network address: 10.42.0.0/24)'],
  ])('a bad CIDR %s is explained', (cidr, message) => {
    const text = edit(example, ['cidr: 10.42.0.0/24', `cidr: ${cidr}`]);
    expect(theProblem(text)).toBe(
      `cluster.yaml:${lineOf(text, `cidr: ${cidr}`)}:9: network.cidr: ${message}`,
    );
  });

  test('a size without a binary unit is refused with the forms that work', () => {
    const text = edit(example, ['bladeLayer: 2GiB', 'bladeLayer: 2GB']);
    expect(theProblem(text)).toMatch(
      /storage\.bladeLayer: "2GB" is not a size \(expected a number and a binary unit: 512MiB, 4GiB, 4G\)/,
    );
  });

  test('an enum typo suggests the value meant', () => {
    const text = edit(example, ['transport: tcp', 'transport: tpc']);
    expect(theProblem(text)).toBe(
      `cluster.yaml:${lineOf(text, 'tpc')}:14: san.transport: "tpc" is not allowed (expected one of tcp, iser; did you mean tcp?)`,
    );
  });

  test('a wrong type names what was expected and what was found', () => {
    const text = edit(example, ['lun: 1', 'lun: first']);
    expect(theProblem(text)).toMatch(/san\.lun: expected a number, found "first"$/);
  });

  test('a missing required field is located at its section', () => {
    const text = edit(example, ['  target: iqn.2026-11.org.virtualinux:lab.san\n', '']);
    expect(theProblem(text)).toBe(
      `cluster.yaml:${lineOf(text, '  portals:')}:3: san.target: missing (expected an iSCSI name)`,
    );
  });

  test('a blade range that runs backwards is explained', () => {
    const text = edit(example, ['node[01-03]', 'node[03-01]']);
    expect(theProblem(text)).toMatch(
      /nodes\[0\]\.name: range 03-01 in "node\[03-01\]" runs backwards \(expected 01-03\)/,
    );
  });

  test('the CHAP secret must be a reference, and the message never repeats the value', () => {
    const text = edit(example, ['secret: file:/etc/virtualinux/chap.secret', 'secret: s3cr3t-Passw0rd']);
    const message = theProblem(text);
    expect(message).toMatch(/san\.chap\.secret: is not a secret reference/);
    expect(message).not.toContain('s3cr3t-Passw0rd');
  });
});

describe('blades', () => {
  test('a blade defined twice is reported at its second definition', () => {
    const text = edit(example, [
      '    sifMac: 52:54:00:10:00:01\n',
      '    sifMac: 52:54:00:10:00:01\n  - name: node02\n    mac: 52:54:00:42:00:09\n',
    ]);
    expect(theProblem(text)).toBe(
      `cluster.yaml:${lineOf(text, 'name: node02')}:11: nodes[1].name: blade node02 is defined twice (also by nodes[0].name; expected unique names)`,
    );
  });

  test('a MAC used twice is reported where the second comes from', () => {
    const text = edit(example, [
      '    sifMac: 52:54:00:10:00:01\n',
      '    sifMac: 52:54:00:10:00:01\n  - name: spare\n    mac: 52:54:00:42:00:03\n',
    ]);
    expect(theProblem(text)).toBe(
      `cluster.yaml:${lineOf(text, 'mac: 52:54:00:42:00:03')}:10: nodes[1].mac: MAC 52:54:00:42:00:03 of spare is also the MAC of node03 (expected one MAC per NIC)`,
    );
  });

  test('an explicit MAC list is checked per entry, and must match the range', () => {
    const text = edit(example, [
      '    mac: 52:54:00:42:00:01\n',
      '    macs: [52:54:00:42:00:01, 52:54:00:42:00:02]\n',
    ]);
    expect(theProblem(text)).toMatch(
      /nodes\[0\]\.macs: 2 MACs for 3 blades of node\[01-03\] \(expected one MAC per blade, in order\)/,
    );
  });

  test('mac and macs together are refused', () => {
    const text = edit(example, [
      '    mac: 52:54:00:42:00:01\n',
      '    mac: 52:54:00:42:00:01\n    macs: [52:54:00:42:00:01, 52:54:00:42:00:02, 52:54:00:42:00:03]\n',
    ]);
    expect(theProblem(text)).toMatch(
      /nodes\[0\]\.macs: give mac \(the first MAC of the range\) or macs, not both/,
    );
  });

  test('a blade without a MAC is refused', () => {
    const text = edit(example, ['    mac: 52:54:00:42:00:01\n', '']);
    expect(theProblem(text)).toMatch(/nodes\[0\]: blade node\[01-03\] has no MAC/);
  });

  test('an address used twice is reported with both blades', () => {
    const text = edit(example, [
      '    sifMac: 52:54:00:10:00:01\n',
      '    sifMac: 52:54:00:10:00:01\n  - name: spare\n    mac: 52:54:00:42:00:09\n    ip: 10.42.0.12\n',
    ]);
    expect(theProblem(text)).toBe(
      `cluster.yaml:${lineOf(text, 'ip: 10.42.0.12')}:9: nodes[1].ip: address 10.42.0.12 of spare is also the address of node02 (expected one address per blade)`,
    );
  });

  test('an explicit address outside the network is refused', () => {
    const text = edit(example, [
      '    sifMac: 52:54:00:10:00:01\n',
      '    sifMac: 52:54:00:10:00:01\n    ip: 10.43.0.5\n',
    ]);
    expect(problems(text)[0]).toMatch(
      /nodes\[0\]\.ip: blade node01 would get 10\.43\.0\.5, which is not a host address of 10\.42\.0\.0\/24/,
    );
  });

  test('a range that runs past the end of the network is reported at its name', () => {
    const text = edit(example, ['node[01-03]', 'node[01-250]'], ['size: 40GiB', 'size: 2TiB']);
    expect(problems(text)).toContain(
      `cluster.yaml:${lineOf(text, 'node[01-250]')}:11: nodes[0].name: blade node245 would get 10.42.0.255, which is not a host address of 10.42.0.0/24 (and 5 more blades of node[01-250]) (expected an address inside the cluster network; lower network.firstHost or widen network.cidr)`,
    );
  });

  test('a static fabric address needs the fabric network', () => {
    const text = edit(example, [
      '    sifMac: 52:54:00:10:00:01\n',
      '    sifMac: 52:54:00:10:00:01\n    sifIp: 10.10.0.5\n',
    ]);
    expect(theProblem(text)).toMatch(
      /nodes\[0\]\.sifIp: a static fabric address needs the fabric network \(expected fabric\.cidr/,
    );
  });

  test('fabric addresses outside the fabric network are refused', () => {
    const text = edit(
      example,
      ['  modules: [virtio_net]', '  modules: [virtio_net]\n  cidr: 10.10.0.0/24'],
      ['    sifMac: 52:54:00:10:00:01\n', '    sifMac: 52:54:00:10:00:01\n    sifIp: 10.11.0.5\n'],
    );
    expect(problems(text)[0]).toMatch(
      /nodes\[0\]\.sifIp: blade node01 would get fabric address 10\.11\.0\.5, outside 10\.10\.0\.0\/24/,
    );
  });
});

describe('virtual IPs and the gateway', () => {
  test('a VIP that collides with a blade names the blade', () => {
    const text = edit(example, ['  firstHost: 11', '  firstHost: 11\n  vips:\n    nfs: 10.42.0.13']);
    expect(theProblem(text)).toBe(
      `cluster.yaml:${lineOf(text, 'nfs: 10.42.0.13')}:10: network.vips.nfs: virtual IP 10.42.0.13 of nfs is also the address of blade node03 (expected an address no blade uses)`,
    );
  });

  test('a VIP taken by default from the top of the network says how to move it', () => {
    const text = edit(example, ['node[01-03]', 'node[01-250]'], ['size: 40GiB', 'size: 2TiB']);
    expect(problems(text)).toContain(
      `cluster.yaml:${lineOf(text, 'cidr: 10.42.0.0/24')}:9: network.cidr: virtual IP 10.42.0.254 of nfs is also the address of blade node244 (expected network.vips.nfs set to a free address)`,
    );
  });

  test('a VIP outside the network is refused', () => {
    const text = edit(example, ['  firstHost: 11', '  firstHost: 11\n  vips:\n    syslog: 192.168.1.1']);
    expect(theProblem(text)).toMatch(
      /network\.vips\.syslog: virtual IP 192\.168\.1\.1 of syslog is outside 10\.42\.0\.0\/24/,
    );
  });

  test('a VIP that is the gateway is refused', () => {
    const text = edit(example, ['  firstHost: 11', '  firstHost: 11\n  vips:\n    nfs: 10.42.0.1']);
    expect(theProblem(text)).toMatch(
      /network\.vips\.nfs: virtual IP 10\.42\.0\.1 of nfs is also the address of the gateway/,
    );
  });

  test('a VIP for a service that is not passive is refused', () => {
    const text = edit(
      example,
      ['passive: [nfs, syslog]', 'passive: [nfs]'],
      ['  firstHost: 11', '  firstHost: 11\n  vips:\n    syslog: 10.42.0.200'],
    );
    expect(theProblem(text)).toMatch(
      /network\.vips\.syslog: syslog is not a passive service here \(expected one of services\.passive: nfs\)/,
    );
  });

  test('a gateway outside the network or on a blade is refused', () => {
    expect(theProblem(edit(example, ['gateway: 10.42.0.1', 'gateway: 10.9.0.1']))).toMatch(
      /network\.gateway: 10\.9\.0\.1 is outside the cluster network 10\.42\.0\.0\/24/,
    );
    expect(theProblem(edit(example, ['gateway: 10.42.0.1', 'gateway: 10.42.0.11']))).toMatch(
      /network\.gateway: 10\.42\.0\.11 is also the address of blade node01/,
    );
  });
});

describe('sizes and lists', () => {
  test('a layout that cannot fit the LUN shows what it needs', () => {
    const text = edit(example, ['size: 40GiB', 'size: 10GiB']);
    expect(theProblem(text)).toBe(
      `cluster.yaml:${lineOf(text, 'size: 10GiB')}:9: san.size: the layout needs 19.6 GiB but the LUN is 10 GiB: boot 512 MiB, golden images 9 GiB, blade layers 6 GiB, shared 4 GiB, metadata 72 MiB (expected a larger LUN, or smaller storage sizes)`,
    );
  });

  test('a blade layer too small to hold anything is refused', () => {
    expect(theProblem(edit(example, ['bladeLayer: 2GiB', 'bladeLayer: 16M']))).toMatch(
      /storage\.bladeLayer: 16 MiB is too small \(expected at least 256 MiB\)/,
    );
  });

  test('a golden size for an image the cluster does not carry is refused', () => {
    expect(theProblem(edit(example, ['    node: 3GiB', '    node: 3GiB\n    fedora-40: 2GiB']))).toMatch(
      /storage\.images\.fedora-40: no image fedora-40 in this cluster \(expected one of node, debian-12, ubuntu-24\.04, rocky-9\)/,
    );
  });

  test('duplicates in lists are refused', () => {
    expect(
      theProblem(edit(example, ['active: [dhcp, dns, tftp, ntp]', 'active: [dhcp, dns, dhcp]'])),
    ).toMatch(/services\.active\[2\]: service dhcp is listed twice/);
    expect(
      theProblem(edit(example, ['vc: [debian-12, ubuntu-24.04, rocky-9]', 'vc: [debian-12, node]'])),
    ).toMatch(/images\.vc\[1\]: node is the node OS image/);
  });

  test('portals must share one port', () => {
    expect(
      theProblem(edit(example, ['portals: [10.0.2.2:3260]', 'portals: [10.0.2.2:3260, 10.0.3.2:3261]'])),
    ).toMatch(/san\.portals: portals use ports 3260 and 3261/);
  });
});

describe('defaults', () => {
  test('a small spec is complete', () => {
    const spec = valid(
      [
        'cluster: { name: tiny }',
        'san: { portals: [192.0.2.10], target: "iqn.2026-11.org.example:san" }',
        'nodes: [{ name: "b[1-2]", mac: "02:00:00:00:00:01" }]',
      ].join('\n'),
    );
    expect(spec.san.transport).toBe('tcp');
    expect(spec.san.portals).toEqual([{ address: '192.0.2.10', port: 3260 }]);
    expect(spec.network.cidr).toBe('10.42.0.0/24');
    expect(spec.services.passive).toEqual(['nfs', 'syslog']);
    expect(spec.storage.bladeLayer).toBe(4 * 2 ** 30);
  });
});

describe('storage.persistent: what a reset with --keep-data carries over', () => {
  test('defaults to /root; absolute paths are taken; the whole root and relative paths are refused, located', () => {
    expect(valid(example).storage.persistent).toEqual(['/root']);
    const paths = edit(example, [
      '  bladeLayer: 2GiB\n',
      '  bladeLayer: 2GiB\n  persistent: [/root, /etc/ssh, /, var/lib]\n',
    ]);
    const line = lineOf(paths, 'persistent:');
    expect(problems(paths)).toEqual([
      `cluster.yaml:${line}:33: storage.persistent[2]: the whole root cannot be persistent: a reset keeps only some paths`,
      `cluster.yaml:${line}:36: storage.persistent[3]: expected an absolute path like /home`,
    ]);
  });
});
