/**
 * The golden-image check's comparison on the host, with the project's own archive format (a
 * zstd tar, images/archive.ts): unpacked as the installer unpacks it, then damaged.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { createRunner } from '../../../core/exec/runner.ts';
import { extractCommand } from '../../../images/archive.ts';
import { compareCommand, parseTarCompare } from '../../../installer/recovery/verify.ts';

const runner = createRunner();
const work = mkdtempSync(join(tmpdir(), 'vl-verify-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a golden volume against its image archive', () => {
  test('as unpacked: no difference; damaged: each damage named, and nothing else', async () => {
    const source = join(work, 'rootfs');
    mkdirSync(join(source, 'etc/ssh'), { recursive: true });
    writeFileSync(join(source, 'etc/fstab'), '# factory\n');
    writeFileSync(join(source, 'etc/hostname'), 'localhost\n');
    writeFileSync(join(source, 'etc/ssh/sshd_config'), 'PermitRootLogin prohibit-password\n');
    writeFileSync(join(source, 'etc/motd'), 'welcome\n');
    symlinkSync('fstab', join(source, 'etc/fstab.link'));
    const archive = join(work, 'node.tar.zst');
    await execa('tar', [
      '--create',
      '--zstd',
      `--file=${archive}`,
      `--directory=${source}`,
      '--numeric-owner',
      '.',
    ]);
    const volume = join(work, 'volume');
    mkdirSync(volume);
    await runner.run(extractCommand(archive, volume));

    const clean = await runner.run(compareCommand(archive, volume));
    expect(clean.exitCode).toBe(0);
    expect(parseTarCompare(clean.stdout, clean.stderr)).toEqual([]);

    writeFileSync(join(volume, 'etc/fstab'), '# Factory\n');
    chmodSync(join(volume, 'etc/hostname'), 0o600);
    rmSync(join(volume, 'etc/ssh'), { recursive: true });
    unlinkSync(join(volume, 'etc/fstab.link'));
    const damaged = await runner.run(compareCommand(archive, volume));
    expect(damaged.exitCode).toBe(1);
    const found = parseTarCompare(damaged.stdout, damaged.stderr);
    expect(found).toEqual(
      expect.arrayContaining([
        { path: './etc/fstab', problem: expect.stringMatching(/contents differ|mod time differs/) },
        { path: './etc/hostname', problem: 'mode differs' },
        { path: './etc/ssh', problem: 'missing' },
        { path: './etc/ssh/sshd_config', problem: 'missing' },
      ]),
    );
    expect(found.some((d) => d.path === './etc/fstab.link')).toBe(true);
    expect(found.some((d) => d.path === './etc/motd')).toBe(false);
  });
});
