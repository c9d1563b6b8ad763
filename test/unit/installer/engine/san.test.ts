/** The SAN login's pure parts: iscsid.conf with CHAP, iscsiadm's and ip's outputs, the installer's address. */
import { describe, expect, test } from 'vitest';
import { exampleSpecText } from '../../../../core/spec/example.ts';
import { checkSpecText } from '../../../../core/spec/load.ts';
import {
  byPathName,
  discoveryProblem,
  installerFabricAddress,
  ipv4Of,
  iscsidConf,
  parseDiscovery,
  parseIpAddr,
  parseSessions,
} from '../../../../installer/engine/san.ts';
import { exampleSpec } from './fixtures/recorded.ts';

const debianConf = [
  '# iscsid.conf from Debian 12',
  'node.startup = manual',
  '#node.session.auth.authmethod = CHAP',
  'node.session.auth.username = old',
  'node.session.auth.password = old-secret',
  'discovery.sendtargets.auth.authmethod = CHAP',
  'node.session.timeo.replacement_timeout = 120',
  '',
].join('\n');

describe('iscsid.conf', () => {
  test('CHAP becomes the default of new node records; earlier auth lines go, comments and the rest stay', () => {
    const text = iscsidConf(debianConf, 'lab', { secret: 's3cret-lab' });
    expect(text).toBe(
      [
        '# iscsid.conf from Debian 12',
        'node.startup = manual',
        '#node.session.auth.authmethod = CHAP',
        'node.session.timeo.replacement_timeout = 120',
        '',
        '# VirtuaLinux installer: CHAP for the cluster SAN (san.chap in the spec)',
        'node.session.auth.authmethod = CHAP',
        'node.session.auth.username = lab',
        'node.session.auth.password = s3cret-lab',
        '',
      ].join('\n'),
    );
    // written twice, the same file: a rerun adds nothing
    expect(iscsidConf(text, 'lab', { secret: 's3cret-lab' })).toBe(text);
  });

  test('mutual CHAP adds the target user and secret; no CHAP in the spec sets None', () => {
    expect(iscsidConf('', 'lab', { secret: 'aaaa1', targetSecret: 'bbbb2' }, 'san')).toContain(
      'node.session.auth.username_in = san\nnode.session.auth.password_in = bbbb2\n',
    );
    expect(iscsidConf(debianConf, undefined, undefined)).toMatch(
      /\nnode\.session\.auth\.authmethod = None\n$/,
    );
  });
});

describe("iscsiadm's output", () => {
  test('discovery: the portal as the SAN reports it (NAT: its own address) and the target', () => {
    expect(
      parseDiscovery('127.0.0.1:3260,1 iqn.2026-11.org.virtualinux:lab.san\n[::1]:3260,1 iqn.x:y\n'),
    ).toEqual([
      { portal: '127.0.0.1:3260', target: 'iqn.2026-11.org.virtualinux:lab.san' },
      { portal: '[::1]:3260', target: 'iqn.x:y' },
    ]);
  });

  test('sessions', () => {
    expect(
      parseSessions('tcp: [1] 10.0.2.2:3260,1 iqn.2026-11.org.virtualinux:lab.san (non-flash)\n'),
    ).toEqual([{ portal: '10.0.2.2:3260', target: 'iqn.2026-11.org.virtualinux:lab.san' }]);
    expect(parseSessions('')).toEqual([]);
  });

  test('discovery failures in words: no answer (refused, timed out, a connection that never answers), authentication', () => {
    // 11 is what a closed port behind QEMU's user networking gives: slirp accepts, then nothing comes
    for (const code of [4, 5, 8, 11, 'timeout'] as const) {
      expect(discoveryProblem(code, 'iscsiadm failed')).toBe(
        'does not answer (connection refused or timed out)',
      );
    }
    expect(discoveryProblem(24, 'x')).toBe('refused discovery (authentication)');
    expect(discoveryProblem(7, 'iscsiadm failed with exit code 7; last lines of stderr:\n...')).toBe(
      'discovery failed: iscsiadm failed with exit code 7; last lines of stderr:',
    );
  });

  test("udev's name of the LUN", () => {
    expect(byPathName({ address: '10.0.2.2', port: 3260 }, 'iqn.2026-11.org.virtualinux:lab.san', 1)).toBe(
      '/dev/disk/by-path/ip-10.0.2.2:3260-iscsi-iqn.2026-11.org.virtualinux:lab.san-lun-1',
    );
  });
});

describe('the storage interface', () => {
  test('ip -j addr: the interface, its MAC and IPv4 addresses', () => {
    const [eth0] = parseIpAddr(
      JSON.stringify([
        {
          ifindex: 2,
          ifname: 'eth0',
          flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
          mtu: 1500,
          operstate: 'UP',
          address: '52:54:00:00:ff:01',
          addr_info: [
            { family: 'inet', local: '10.0.2.15', prefixlen: 24 },
            { family: 'inet6', local: 'fe80::5054:ff:fe00:ff01', prefixlen: 64 },
          ],
        },
      ]),
    );
    expect(eth0 && ipv4Of(eth0)).toEqual(['10.0.2.15/24']);
    expect(parseIpAddr('')).toEqual([]);
  });

  test('a static fabric gives the installer its last host address; DHCP gives none', () => {
    const spec = exampleSpec();
    expect(installerFabricAddress(spec)).toBeUndefined();
    const checked = checkSpecText(
      exampleSpecText().replace('  sif: eth0', '  sif: eth0\n  cidr: 10.99.0.0/24'),
    );
    expect(checked.ok && installerFabricAddress(checked.spec)).toBe('10.99.0.254/24');
  });
});
