/**
 * The drift report on a real overlayfs (the host has it, ARCHITECTURE §7): a blade's changes made
 * through the merged view, then read from the upper directory alone with getfattr for the opaque
 * directories, as `virtualinux drift` reads a blade's layer.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { locateTool } from '../../../core/exec/locate-tool.ts';
import { createRunner } from '../../../core/exec/runner.ts';
import {
  type DriftEntry,
  driftOf,
  opaqueDirsCommand,
  parseOpaqueDirs,
  summariseDrift,
} from '../../../installer/recovery/drift.ts';

const why =
  process.getuid?.() !== 0
    ? 'needs root: mounts an overlayfs'
    : (await locateTool('getfattr', process.env.PATH ?? '')) === undefined
      ? 'getfattr is not installed (apt-get install attr)'
      : undefined;
if (why) console.warn(`skipped: drift: ${why}`);

const work = mkdtempSync(join(tmpdir(), 'vl-drift-test-'));
const [lower, upper, workdir, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => join(work, d)) as [
  string,
  string,
  string,
  string,
];
let mounted = false;

beforeAll(async () => {
  if (why) return;
  for (const d of [lower, upper, workdir, merged]) mkdirSync(d);
  // the golden image
  mkdirSync(join(lower, 'etc/ssh'), { recursive: true });
  mkdirSync(join(lower, 'var/cache/apt'), { recursive: true });
  writeFileSync(join(lower, 'etc/fstab'), '# factory\n');
  writeFileSync(join(lower, 'etc/hostname'), 'localhost\n');
  writeFileSync(join(lower, 'etc/ssh/sshd_config'), 'PermitRootLogin prohibit-password\n');
  writeFileSync(join(lower, 'etc/ssh/moduli'), 'x'.repeat(1000));
  writeFileSync(join(lower, 'var/cache/apt/pkgcache.bin'), 'y'.repeat(5000));
  writeFileSync(join(lower, 'etc/motd'), 'welcome\n');
  await execa('mount', [
    '-t',
    'overlay',
    'vl-drift-test',
    '-o',
    `lowerdir=${lower},upperdir=${upper},workdir=${workdir}`,
    merged,
  ]);
  mounted = true;
  // what the blade did, through its root
  writeFileSync(join(merged, 'etc/fstab'), 'garbage\n');
  rmSync(join(merged, 'etc/ssh'), { recursive: true });
  rmSync(join(merged, 'etc/motd'));
  rmSync(join(merged, 'var/cache/apt'), { recursive: true });
  mkdirSync(join(merged, 'var/cache/apt'));
  writeFileSync(join(merged, 'var/cache/apt/new.bin'), 'z'.repeat(300));
  mkdirSync(join(merged, 'root/work dir'), { recursive: true });
  writeFileSync(join(merged, 'root/work dir/notes.txt'), 'mine\n');
  symlinkSync('/etc/fstab', join(merged, 'root/link'));
  await execa('chmod', ['600', join(merged, 'etc/hostname')]);
  await execa('umount', [merged]);
  mounted = false;
});

afterAll(async () => {
  if (mounted) await execa('umount', [merged], { reject: false });
  rmSync(work, { recursive: true, force: true });
});

describe('the drift report of a layer', () => {
  test('lists what was added, changed, deleted and replaced, from the upper directory and getfattr', async (context) => {
    if (why) context.skip(why);
    const getfattr = await createRunner().run(opaqueDirsCommand(upper));
    const opaque = parseOpaqueDirs(getfattr.stdout, upper);
    expect([...opaque]).toEqual(['/var/cache/apt']);
    const drift = driftOf(upper, lower, opaque);
    expect(drift).toEqual<DriftEntry[]>([
      { path: '/etc/fstab', change: 'changed', kind: 'file', bytes: 8 },
      { path: '/etc/hostname', change: 'changed', kind: 'file', bytes: 10 },
      { path: '/etc/motd', change: 'deleted', kind: 'file', bytes: 8 },
      { path: '/etc/ssh', change: 'deleted', kind: 'directory', bytes: 0 },
      { path: '/root', change: 'added', kind: 'directory', bytes: 0 },
      { path: '/root/link', change: 'added', kind: 'symlink', bytes: 0 },
      { path: '/root/work dir', change: 'added', kind: 'directory', bytes: 0 },
      { path: '/root/work dir/notes.txt', change: 'added', kind: 'file', bytes: 5 },
      { path: '/var/cache/apt', change: 'replaced', kind: 'directory', bytes: 0 },
      { path: '/var/cache/apt/new.bin', change: 'added', kind: 'file', bytes: 300 },
    ]);
    expect(summariseDrift(drift).byChange).toEqual({
      added: { entries: 5, bytes: 305 },
      changed: { entries: 2, bytes: 18 },
      deleted: { entries: 2, bytes: 8 },
      replaced: { entries: 1, bytes: 0 },
    });
  });

  test('a factory layer (empty upper directory) has no drift', () => {
    const empty = join(work, 'empty');
    mkdirSync(empty);
    expect(driftOf(empty, lower, new Set())).toEqual([]);
  });
});

describe('getfattr output', () => {
  test('only opaque="y" counts; escaped names are read back', () => {
    const output = [
      '# file: /mnt/upper/var/cache',
      'trusted.overlay.opaque="x"',
      '',
      '# file: /mnt/upper/root/a\\040b\\303\\251',
      'trusted.overlay.opaque="y"',
      '',
      '# file: /mnt/upper',
      'trusted.overlay.opaque="y"',
      '',
    ].join('\n');
    expect([...parseOpaqueDirs(output, '/mnt/upper')]).toEqual(['/root/a bé', '/']);
  });
});
