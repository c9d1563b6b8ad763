/**
 * `lab inspect` on a LUN file made on the host the way an install makes it: the engine's own
 * sgdisk layout, VLBOOT formatted through a loop device and filled by mtools, LVM metadata written
 * with the engine's commands (--driverloaded n: no device-mapper here, volumes are never active).
 * The VG is then made shared (sanlock), as the installer makes it in a guest: vgcreate --shared
 * needs lvmlockd, which this host lacks, so lock_type goes into the metadata by vgcfgrestore and
 * LVM writes it as it would have (WRITE_LOCKED flags, the hidden lvmlock volume).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Command } from '../../../core/exec/command.ts';
import { locateTool } from '../../../core/exec/locate-tool.ts';
import { createRunner, type Runner } from '../../../core/exec/runner.ts';
import { BOOT_LABEL } from '../../../core/spec/derive.ts';
import { vlbootVolumeId } from '../../../installer/engine/actions.ts';
import {
  lvchange,
  lvcreate,
  mkfsVfat,
  pvcreate,
  sgdiskLayout,
  vgcreate,
} from '../../../installer/engine/commands.ts';
import {
  clusterTag,
  EXTENT_BYTES,
  MiB,
  SANLOCK_LEASES_BYTES,
  type TargetPartition,
  targetLayout,
  VIRTUALINUX_TAG,
} from '../../../installer/engine/layout.ts';
import {
  detachLoop,
  INSPECT_TEMP_PREFIX,
  inspectLun,
  type LunInspection,
  lvmEnvironment,
  privateLvmConfig,
} from '../../../lab/inspect.ts';
import { exampleImages, exampleSpec } from '../../unit/installer/engine/fixtures/recorded.ts';

const bin = new URL('../../../bin/virtualinux.js', import.meta.url).pathname;
const LUN_BYTES = 2 ** 30;
// sgdisk's last partition ends before the backup GPT: its header and entries, 33 sectors
const BACKUP_GPT_BYTES = 33 * 512;

const TOOLS = ['losetup', 'sgdisk', 'sfdisk', 'wipefs', 'mkfs.vfat', 'mmd', 'mcopy', 'mdir', 'lvm'];

async function unavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root: the LUN is read through loop devices';
  const missing = [];
  for (const tool of TOOLS) {
    if ((await locateTool(tool, process.env.PATH ?? '')) === undefined) missing.push(tool);
  }
  return missing.length > 0
    ? `not installed here: ${missing.join(', ')} (apt-get install gdisk fdisk mtools dosfstools lvm2)`
    : undefined;
}
const why = await unavailable();
if (why) console.warn(`skipped: lab inspect: ${why}`);

const runner = createRunner();
const work = mkdtempSync(join(tmpdir(), 'vl-lab-inspect-test-'));
const lun = join(work, 'lun1.img');
const layout = targetLayout(exampleSpec(), exampleImages(), { sharedVg: true });
const partition = (role: TargetPartition['role']) => layout.partitions.find((p) => p.role === role);
const boot = partition('vlboot') as TargetPartition;
const bootExtent = { start: boot.start, bytes: boot.bytes as number };
const pvPartition = partition('lvm') as TargetPartition;
const pvExtent = { start: pvPartition.start, bytes: LUN_BYTES - pvPartition.start - BACKUP_GPT_BYTES };

const bootFiles = {
  '/grub/grub.cfg': Buffer.from('set timeout=5\nmenuentry "VirtuaLinux" { linux /vmlinuz }\n'),
  '/vmlinuz-6.1.0-amd64': randomBytes(300_000),
};
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** what must be left after every inspection: no loop device on the LUN, no temp directory */
async function residue() {
  const loops = (await execa('losetup', ['-j', lun])).stdout;
  const temps = readdirSync(tmpdir()).filter((name) => name.startsWith(INSPECT_TEMP_PREFIX));
  return { loops, temps };
}

/** a read-write loop device at a partition's offset: where the installer has a partition node */
async function attachWritable(at: { start: number; bytes: number }): Promise<string> {
  const args = ['-f', '--show', '-o', String(at.start), '--sizelimit', String(at.bytes), lun];
  return (await runner.run({ tool: 'losetup', args })).stdout.trim();
}

async function withAttached(at: { start: number; bytes: number }, use: (device: string) => Promise<void>) {
  const device = await attachWritable(at);
  try {
    await use(device);
  } finally {
    await runner.run(detachLoop(device));
  }
}

const lvmDir = join(work, 'lvm');
/** an engine command on the host: metadata only, on the one physical volume, LVM's config private */
const onHost = (pv: string, command: Command): Command => ({
  ...command,
  args: ['--driverloaded', 'n', '--devices', pv, ...command.args],
  env: lvmEnvironment(lvmDir),
});

/** lock type sanlock, as `vgcreate --shared` writes it, and the sanlock leases in a hidden volume */
async function makeShared(pv: string): Promise<void> {
  const backup = join(work, 'vg.txt');
  await runner.run(onHost(pv, { tool: 'vgcfgbackup', args: ['-f', backup, layout.vg] }));
  const local = readFileSync(backup, 'utf8').replaceAll(/^\tlock_(type|args) = .*\n/gm, '');
  const shared = local
    // the VG's flags: [] or, made by the engine, ["NOAUTOACTIVATE"]
    .replace(/^\tflags = \[.*\]$/m, '$&\n\tlock_type = "sanlock"\n\tlock_args = "1.0.0:lvmlock"')
    .replace(/(\t\tlvmlock \{\n[^}]*?status = \["READ", "WRITE"), "VISIBLE"\]/, '$1]');
  expect(shared.match(/lock_type = "sanlock"|status = \["READ", "WRITE"\]/g)).toHaveLength(2);
  writeFileSync(backup, shared);
  await runner.run(onHost(pv, { tool: 'vgcfgrestore', args: ['-f', backup, layout.vg] }));
}

/** without lvmlockd, LVM changes a shared VG only once it is made local again */
const makeLocal = (pv: string) =>
  runner.run(
    onHost(pv, { tool: 'vgchange', args: ['-y', '--locktype', 'none', '--lockopt', 'force', layout.vg] }),
  );

const volumes = [
  { name: 'img_node', bytes: 64 * MiB, tags: ['vl.image=node'], readOnly: true },
  { name: 'node_node01', bytes: 32 * MiB, tags: ['node01'], readOnly: false },
  { name: 'vl_meta', bytes: 64 * MiB, tags: ['vl.done=meta', 'vl.format=1'], readOnly: false },
];

async function makeInstalledLun(): Promise<void> {
  writeFileSync(lun, '');
  await runner.run({ tool: 'truncate', args: ['-s', String(LUN_BYTES), lun] });
  await runner.run(sgdiskLayout(lun, layout.partitions));

  await withAttached(bootExtent, async (fat) => {
    await runner.run(mkfsVfat(fat, BOOT_LABEL, vlbootVolumeId('lab')));
  });
  const image = `${lun}@@${bootExtent.start}`;
  const mtools = { MTOOLS_SKIP_CHECK: '1' };
  await runner.run({ tool: 'mmd', args: ['-i', image, '::/grub'], env: mtools });
  for (const [path, bytes] of Object.entries(bootFiles)) {
    const file = join(work, 'boot-file');
    writeFileSync(file, bytes);
    await runner.run({ tool: 'mcopy', args: ['-i', image, file, `::${path}`], env: mtools });
  }

  mkdirSync(join(lvmDir, 'lock'), { recursive: true });
  writeFileSync(join(lvmDir, 'lvm.conf'), privateLvmConfig(join(lvmDir, 'lock')));
  await withAttached(pvExtent, async (pv) => {
    await runner.run(onHost(pv, pvcreate(pv)));
    const tags = [VIRTUALINUX_TAG, clusterTag(layout.cluster)];
    await runner.run(onHost(pv, vgcreate({ ...layout, sharedVg: false }, pv, tags)));
    await runner.run(onHost(pv, lvcreate(layout.vg, 'lvmlock', SANLOCK_LEASES_BYTES, [])));
    for (const volume of volumes) {
      await runner.run(onHost(pv, lvcreate(layout.vg, volume.name, volume.bytes, volume.tags)));
      if (volume.readOnly)
        await runner.run(onHost(pv, lvchange(layout.vg, volume.name, { permission: 'r' })));
    }
    await makeShared(pv);
  });
}

/** the LUN's own identities: the GPT's UUIDs, the FAT's serial, LVM's UUIDs (the last backup) */
async function lunIdentities(): Promise<string[]> {
  const gpt = JSON.parse((await runner.run({ tool: 'sfdisk', args: ['-J', lun] })).stdout).partitiontable;
  const fat = await runner.run({
    tool: 'mdir',
    args: ['-i', `${lun}@@${bootExtent.start}`, '::/'],
    env: { MTOOLS_SKIP_CHECK: '1' },
  });
  const serial = /Volume Serial Number is (\S+)/.exec(fat.stdout)?.[1];
  const lvm = [...readFileSync(join(work, 'vg.txt'), 'utf8').matchAll(/\bid = "([^"]+)"/g)].map((m) => m[1]);
  return [gpt.id, ...gpt.partitions.map((p: { uuid: string }) => p.uuid), serial, ...lvm].filter(
    (id): id is string => typeof id === 'string',
  );
}

let before: Awaited<ReturnType<typeof residue>>;
beforeAll(async () => {
  if (why) return;
  await makeInstalledLun();
  before = await residue();
  expect(before.loops).toBe('');
}, 60_000);

beforeEach((context) => {
  if (why) context.skip(why);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('lab inspect reads what an install wrote on the LUN file', () => {
  let first: LunInspection;

  test('the partitions, the files on VLBOOT with their sha256, the shared VG, its volumes and tags', async () => {
    first = await inspectLun(lun, runner);
    expect(await residue()).toEqual(before);

    const signatures: Record<TargetPartition['role'], { signatures: string[]; label?: string }> = {
      'bios-boot': { signatures: [] },
      vlboot: { signatures: ['vfat'], label: BOOT_LABEL },
      lvm: { signatures: ['LVM2_member'] },
    };
    const { volumeGroups, ...rest } = first;
    expect(rest).toEqual({
      bytes: LUN_BYTES,
      partitionTable: { type: 'gpt' },
      partitions: layout.partitions.map((p) => ({
        number: p.number,
        name: p.name,
        type: p.type.guid,
        start: p.start,
        bytes: p.bytes ?? pvExtent.bytes,
        ...signatures[p.role],
      })),
      vlboot: {
        files: [
          {
            path: '/grub/grub.cfg',
            bytes: bootFiles['/grub/grub.cfg'].length,
            sha256: sha256(bootFiles['/grub/grub.cfg']),
          },
          {
            path: '/vmlinuz-6.1.0-amd64',
            bytes: 300_000,
            sha256: sha256(bootFiles['/vmlinuz-6.1.0-amd64']),
          },
        ],
      },
    });

    expect(volumeGroups).toHaveLength(1);
    const [vg] = volumeGroups as [LunInspection['volumeGroups'][number]];
    expect(vg).toEqual({
      name: 'vl_lab',
      lockType: 'sanlock',
      bytes: expect.any(Number),
      freeBytes: expect.any(Number),
      extentBytes: EXTENT_BYTES,
      tags: ['virtualinux', 'vl.cluster=lab'],
      // the sanlock leases (lvmlock) are hidden, as lvs shows them
      logicalVolumes: volumes,
    });
    const used = volumes.reduce((sum, v) => sum + v.bytes, SANLOCK_LEASES_BYTES);
    expect(vg.bytes - vg.freeBytes).toBe(used);
    // no UUID and no FAT serial: two installs of one spec compare equal
    const identities = await lunIdentities();
    expect(identities.length).toBeGreaterThan(10);
    for (const id of identities) expect(JSON.stringify(first)).not.toContain(id);
  });

  test('the same LUN inspected twice gives equal inspections; one volume more changes it', async () => {
    expect(await inspectLun(lun, runner)).toEqual(first);

    await withAttached(pvExtent, async (pv) => {
      await makeLocal(pv);
      await runner.run(onHost(pv, lvcreate(layout.vg, 'node_node02', 32 * MiB, ['node02'])));
      await makeShared(pv);
    });
    const after = await inspectLun(lun, runner);
    expect(after).not.toEqual(first);
    const [vg] = after.volumeGroups as [LunInspection['volumeGroups'][number]];
    expect(vg.logicalVolumes.map((lv) => lv.name)).toEqual([
      'img_node',
      'node_node01',
      'node_node02',
      'vl_meta',
    ]);
    // and nothing else changed
    expect({
      ...after,
      volumeGroups: [
        {
          ...vg,
          freeBytes: vg.freeBytes + 32 * MiB,
          logicalVolumes: vg.logicalVolumes.filter((lv) => lv.name !== 'node_node02'),
        },
      ],
    }).toEqual(first);
    expect(await residue()).toEqual(before);
  });

  test('an inspection that fails half-way leaves no loop device and no temp directory', async () => {
    const failing: Runner = {
      dryRun: false,
      run: (command) =>
        command.tool === 'lvs' ? Promise.reject(new Error('lvs broke')) : runner.run(command),
    };
    await expect(inspectLun(lun, failing)).rejects.toThrow('lvs broke');
    expect(await residue()).toEqual(before);
  });

  test("--checksum hashes a volume's contents from the LUN file: a write into one volume changes its hash only", async () => {
    const zeros = (bytes: number) => sha256(Buffer.alloc(bytes));
    const hashed = async (names: string[]) =>
      Object.fromEntries(
        (await inspectLun(lun, runner, { checksums: names })).volumeGroups
          .flatMap((vg) => vg.logicalVolumes)
          .filter((lv) => lv.sha256 !== undefined)
          .map((lv) => [lv.name, lv.sha256]),
      );
    // nothing was ever written into the volumes: each reads as zeros, as many as its size
    expect(await hashed(['node_node01', 'vl_meta'])).toEqual({
      node_node01: zeros(32 * MiB),
      vl_meta: zeros(64 * MiB),
    });
    // where node_node01 lies, from LVM's own metadata text as makeShared last backed it up (not
    // from the reports inspect reads)
    const text = readFileSync(join(work, 'vg.txt'), 'utf8');
    const peStart = Number(/pe_start = (\d+)/.exec(text)?.[1]) * 512;
    const firstExtent = Number(/\bnode_node01 \{[\s\S]*?stripes = \[\s*"pv0", (\d+)/.exec(text)?.[1]);
    const marker = Buffer.from('written by a blade');
    const at = pvExtent.start + peStart + firstExtent * EXTENT_BYTES + 4096;
    await execa('dd', [`of=${lun}`, 'bs=1', `seek=${at}`, 'conv=notrunc', 'status=none'], { input: marker });
    const expected = Buffer.alloc(32 * MiB);
    marker.copy(expected, 4096);
    expect(await hashed(['node_node01', 'vl_meta'])).toEqual({
      node_node01: sha256(expected),
      vl_meta: zeros(64 * MiB),
    });
    await expect(inspectLun(lun, runner, { checksums: ['node_node09'] })).rejects.toThrow(
      'no logical volume node_node09 on the LUN',
    );
    expect(await residue()).toEqual(before);
  });

  test('virtualinux lab inspect: --json is the inspection, without it a report', async () => {
    const lab = (args: string[]) =>
      execa(process.execPath, [bin, 'lab', 'inspect', ...args], { reject: false, stdin: 'ignore' });
    const json = await lab(['--lun', lun, '--json']);
    expect(json.exitCode, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(await inspectLun(lun, runner));

    const report = await lab(['--lun', lun]);
    expect(report.exitCode).toBe(0);
    expect(report.stdout).toContain(`LUN ${lun}: 1.0 GiB`);
    expect(report.stdout).toMatch(/^ {2}2 {2}VLBOOT +EFI System +512\.0 MiB +at 2\.0 MiB +vfat "VLBOOT"$/m);
    expect(report.stdout).toContain(
      `/vmlinuz-6.1.0-amd64  293.0 KiB  ${sha256(bootFiles['/vmlinuz-6.1.0-amd64'])}`,
    );
    expect(report.stdout).toMatch(
      /^volume group vl_lab: shared \(sanlock\), .*; tags virtualinux, vl\.cluster=lab$/m,
    );
    expect(report.stdout).toMatch(/^ {2}img_node +64\.0 MiB +read-only +tags vl\.image=node$/m);
    const hashed = await lab(['--lun', lun, '--checksum', 'vl_meta', '--checksum', 'img_node']);
    expect(hashed.stdout).toMatch(
      /^ {2}vl_meta +64\.0 MiB +writable +tags vl\.done=meta, vl\.format=1 +sha256 [0-9a-f]{64}$/m,
    );
    expect(hashed.stdout).toMatch(/^ {2}img_node .* sha256 [0-9a-f]{64}$/m);
    expect(hashed.stdout).not.toMatch(/^ {2}node_node01 .*sha256/m);

    const noLab = await lab(['--dir', join(work, 'no-lab')]);
    expect(noLab.exitCode).toBe(1);
    expect(noLab.stderr).toContain(`no lab in ${join(work, 'no-lab')}: no LUN to inspect`);
    expect(await residue()).toEqual(before);
  });
});
