import { describe, expect, test } from 'vitest';
import { formatIpv4, netmask, parseCidr, parseIpv4 } from '../../../../core/spec/ipv4.ts';
import { formatMac, isMulticast, parseMac } from '../../../../core/spec/mac.ts';
import { expandNodeRange } from '../../../../core/spec/node-range.ts';
import { SshPublicKey } from '../../../../core/spec/primitives.ts';
import { formatSize, parseSize } from '../../../../core/spec/size.ts';

describe('sizes', () => {
  test.each([
    ['512M', 512 * 2 ** 20],
    ['512MiB', 512 * 2 ** 20],
    ['4G', 4 * 2 ** 30],
    ['1.5GiB', 1.5 * 2 ** 30],
    ['2T', 2 * 2 ** 40],
    ['4096', 4096],
    [4096, 4096],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseSize(text)).toEqual({ ok: true, bytes });
  });

  test.each(['4GB', '4 gigs', '', '-1G', '0', 'GiB', 1.5, 0])('%s is refused', (text) => {
    expect(parseSize(text).ok).toBe(false);
  });

  test('are printed for people', () => {
    expect([formatSize(512), formatSize(1536 * 2 ** 20), formatSize(4 * 2 ** 30)]).toEqual([
      '512 B',
      '1.5 GiB',
      '4 GiB',
    ]);
  });
});

describe('blade ranges', () => {
  test('expand with the padding of their first number', () => {
    expect(expandNodeRange('node[08-11]')).toEqual({
      ok: true,
      names: ['node08', 'node09', 'node10', 'node11'],
    });
    expect(expandNodeRange('r1-b[1-2,9]x')).toEqual({ ok: true, names: ['r1-b1x', 'r1-b2x', 'r1-b9x'] });
    expect(expandNodeRange('single')).toEqual({ ok: true, names: ['single'] });
  });

  test.each([
    ['node[01-03', '"node[01-03" has "[" without "]"'],
    ['node01]', 'has "]" without "["'],
    ['n[1-2]x[3-4]', 'has more than one range'],
    ['n[a-b]', '"a-b" in "n[a-b]" is not a number or a range'],
    ['n[1-99999]', 'names more than 4096 blades'],
  ])('%s is refused', (pattern, reason) => {
    const result = expandNodeRange(pattern);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(reason);
  });
});

describe('addresses', () => {
  test('IPv4 and networks', () => {
    expect(parseIpv4('10.42.0.255')).toBe(0x0a2a00ff);
    expect(formatIpv4(0x0a2a00ff)).toBe('10.42.0.255');
    expect([parseIpv4('10.42.0'), parseIpv4('10.42.0.01'), parseIpv4('256.1.1.1')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    const net = parseCidr('10.10.0.0/22');
    expect(net.ok && [net.network.size, netmask(net.network)]).toEqual([1024, '255.255.252.0']);
  });

  test('MACs as numbers', () => {
    expect(formatMac((parseMac('52:54:00:42:00:ff') ?? 0) + 1)).toBe('52:54:00:42:01:00');
    expect(parseMac('52-54-00-42-00-ff')).toBeUndefined();
    expect([
      isMulticast(parseMac('01:00:5e:00:00:01') ?? 0),
      isMulticast(parseMac('52:54:00:00:00:01') ?? 0),
    ]).toEqual([true, false]);
  });
});

describe('SSH public keys', () => {
  test('a line of a .pub file is one; a private key, a bare blob or two keys on one line are not', () => {
    const good =
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHw1f0lV4rKx0P3d3C0m7bWq2c9v9Pq3pWm2Yd4q2kTz admin@desk';
    expect(SshPublicKey.safeParse(good).success).toBe(true);
    expect(SshPublicKey.safeParse('ecdsa-sha2-nistp256 AAAAE2VjZHNh').success).toBe(true);
    for (const bad of ['-----BEGIN OPENSSH PRIVATE KEY-----', 'AAAAC3NzaC1lZDI1NTE5', `${good}\n${good}`]) {
      const result = SshPublicKey.safeParse(bad);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toMatch(
        /is not an SSH public key \(expected one line of a \.pub file/,
      );
    }
  });
});
