/** The lab SAN as data: what tgtd is told, the secret-carrying request, what its answers mean. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { UserError } from '../../../core/errors.ts';
import { EXAMPLE_SPEC_URL } from '../../../core/spec/example.ts';
import { loadSpec } from '../../../core/spec/load.ts';
import { clusterSegment, labSpec, sanPlan } from '../../../lab/lab.ts';
import { accountRequest, parseSessions, sanCommands, tgtdCommand } from '../../../lab/tgtd.ts';

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

describe('sanPlan', () => {
  const spec = loadSpec(EXAMPLE_SPEC_URL.pathname);
  const plan = sanPlan(spec, '/lab');

  test('serves the spec target on loopback at the port the blades use, sized from the spec', () => {
    expect(plan).toMatchObject({
      controlPort: 3260,
      listen: { address: '127.0.0.1', port: 3260 },
      target: 'iqn.2026-11.org.virtualinux:lab.san',
      lun: 1,
      lunFile: '/lab/san/lun1.img',
      lunBytes: 40 * 2 ** 30,
      chap: { user: 'lab' },
    });
  });

  test('lets in the installer and every blade, nobody else', () => {
    expect(plan.initiators).toEqual([
      'iqn.2026-11.org.virtualinux:lab.installer',
      'iqn.2026-11.org.virtualinux:lab.node01',
      'iqn.2026-11.org.virtualinux:lab.node02',
      'iqn.2026-11.org.virtualinux:lab.node03',
    ]);
  });

  test('without san.size, the LUN is what the layout needs, rounded up to whole GiB', () => {
    const unsized = { ...spec, san: { ...spec.san, size: undefined } };
    const bytes = sanPlan(unsized, '/lab').lunBytes;
    expect(bytes % 2 ** 30).toBe(0);
    expect(bytes).toBeGreaterThan(2 ** 30);
  });
});

describe('sanCommands', () => {
  const spec = loadSpec(EXAMPLE_SPEC_URL.pathname);
  const plan = { ...sanPlan(spec, '/lab'), chap: { user: 'lab', mutualUser: 'san' } };
  const { target, bindAccounts } = sanCommands(plan);
  const lines = [...target, ...bindAccounts].map((c) => `${c.tool} ${c.args.join(' ')}`);

  test('target, thin LUN, one ACL entry per initiator, then the accounts bound (mutual: outgoing)', () => {
    expect(lines).toEqual([
      'tgtadm -C 3260 --lld iscsi --op new --mode target --tid 1 --targetname iqn.2026-11.org.virtualinux:lab.san',
      'tgtadm -C 3260 --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 --backing-store /lab/san/lun1.img',
      'tgtadm -C 3260 --lld iscsi --op update --mode logicalunit --tid 1 --lun 1 --params thin_provisioning=1',
      ...plan.initiators.map(
        (name) => `tgtadm -C 3260 --lld iscsi --op bind --mode target --tid 1 --initiator-name ${name}`,
      ),
      'tgtadm -C 3260 --lld iscsi --op bind --mode account --tid 1 --user lab',
      'tgtadm -C 3260 --lld iscsi --op bind --mode account --tid 1 --user san --outgoing',
    ]);
  });

  test('no command carries a password', () => {
    expect(lines.join('\n')).not.toMatch(/password/i);
  });

  test('tgtd runs in the foreground on its own control port and portal', () => {
    expect(tgtdCommand(plan).args).toEqual(['-f', '-C', '3260', '--iscsi', 'portal=127.0.0.1:3260']);
  });
});

describe('accountRequest', () => {
  test('is byte for byte what tgtadm 1.0.85 sends for `--op new --mode account` (recorded with strace)', () => {
    // strace -e write tgtadm -C 77 --lld iscsi --op new --mode account --user labuser --password SECRETPW
    const header = Buffer.alloc(120);
    header.writeUInt32LE(7, 0);
    header.write('iscsi', 8);
    header.writeUInt32LE(0x97, 72);
    header.writeInt32LE(-1, 76);
    header.fill(0xff, 88, 96);
    const recorded = Buffer.concat([header, Buffer.from('user=labuser,password=SECRETPW\0')]);
    expect(accountRequest('labuser', 'SECRETPW').equals(recorded)).toBe(true);
  });

  test("refuses a user or secret that would break tgtd's key=value list", () => {
    expect(() => accountRequest('lab', 'abc,user=root')).toThrow(/cannot contain/);
    expect(() => accountRequest('a=b', 'secretsecret')).toThrow(/cannot contain/);
  });
});

describe('parseSessions', () => {
  test('finds the initiators logged in, with their address (tgtadm --op show --mode target)', () => {
    expect(parseSessions(fixture('tgtadm-show-target.txt'))).toEqual([
      { initiator: 'iqn.2026-11.org.virtualinux:lab.node03', address: '127.0.0.1' },
    ]);
  });

  test('no I_T nexus: no sessions (ACL entries are not sessions)', () => {
    const idle = fixture('tgtadm-show-target.txt').replace(
      / {4}I_T nexus information:[\s\S]*?(?= {4}LUN information)/,
      '    I_T nexus information:\n',
    );
    expect(parseSessions(idle)).toEqual([]);
  });
});

describe('clusterSegment', () => {
  test('is the same for a directory every time and differs between directories', () => {
    expect(clusterSegment('/a/.lab')).toEqual(clusterSegment('/a/.lab'));
    expect(clusterSegment('/a/.lab')).not.toEqual(clusterSegment('/b/.lab'));
    const { group, port } = clusterSegment('/a/.lab');
    expect(group).toMatch(/^239\.255\.\d+\.\d+$/);
    expect(port).toBeGreaterThanOrEqual(20000);
    expect(port).toBeLessThan(30000);
  });
});

describe('labSpec', () => {
  test('the embedded example runs in the lab', () => {
    expect(labSpec().spec.cluster.name).toBe('lab');
  });

  test('a spec whose SAN is elsewhere, or on iSER, is refused with what to write instead', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vl-labspec-'));
    const file = join(dir, 'cluster.yaml');
    writeFileSync(
      file,
      readFileSync(EXAMPLE_SPEC_URL, 'utf8')
        .replace('10.0.2.2:3260', '192.168.7.1:3260')
        .replace('transport: tcp', 'transport: iser'),
    );
    let error: unknown;
    try {
      labSpec(file);
    } catch (caught) {
      error = caught;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toContain('san.portals[0] is 192.168.7.1');
    expect((error as Error).message).toContain('write san.portals: [10.0.2.2:3260]');
    expect((error as Error).message).toContain('san.transport is iser');
  });
});
