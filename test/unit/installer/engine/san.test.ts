/** The SAN login's pure parts: iscsid.conf with CHAP, iscsiadm's and ip's outputs, the installer's address. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { type Command, formatCommand } from '../../../../core/exec/command.ts';
import type { Runner } from '../../../../core/exec/runner.ts';
import { exampleSpecText } from '../../../../core/spec/example.ts';
import { checkSpecText } from '../../../../core/spec/load.ts';
import {
  byPathName,
  connectSan,
  discoveryProblem,
  formatPortal,
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

describe('a machine already logged in to the target (a running blade: its root is on the LUN)', () => {
  test('uses that session as it is: no initiator name or iscsid.conf written, iscsid not restarted, no discovery, no login, no logout after', async () => {
    const spec = exampleSpec();
    const [portal] = spec.san.portals;
    if (!portal) throw new Error('the example has a portal');
    const root = mkdtempSync(join(tmpdir(), 'vl-san-session-'));
    try {
      const byPath = byPathName(portal, spec.san.target, spec.san.lun);
      mkdirSync(join(root, 'dev/disk/by-path'), { recursive: true });
      writeFileSync(join(root, 'dev/sdb'), '');
      symlinkSync(join(root, 'dev/sdb'), join(root, byPath));
      mkdirSync(join(root, 'etc/iscsi'), { recursive: true });
      writeFileSync(
        join(root, 'etc/iscsi/initiatorname.iscsi'),
        'InitiatorName=iqn.2026-11.org.virtualinux:lab.node02\n',
      );
      const ran: string[] = [];
      const runner: Runner = {
        dryRun: false,
        run: async (command: Command) => {
          ran.push(formatCommand({ ...command, stdin: false }));
          const stdout =
            command.tool === 'iscsiadm' && command.args.join(' ') === '-m session'
              ? `tcp: [1] ${formatPortal(portal)},1 ${spec.san.target} (non-flash)\n`
              : '';
          return { exitCode: 0, stdout, stderr: '' };
        },
      };
      const said: string[] = [];
      const session = await connectSan({ spec, runner, say: (line) => said.push(line), root });
      expect(session).toMatchObject({
        device: join(root, 'dev/sdb'),
        byPath,
        initiator: 'iqn.2026-11.org.virtualinux:lab.node02',
        opened: false,
      });
      expect(ran).toEqual(['iscsiadm -m session', 'udevadm settle --timeout=30']);
      expect(existsSync(join(root, 'etc/iscsi/iscsid.conf'))).toBe(false);
      expect(said).toEqual([
        `SAN: already logged in to ${spec.san.target} at ${formatPortal(portal)}: that session is used`,
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
