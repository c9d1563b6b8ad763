/**
 * `lab inspect`: what an install wrote onto the lab's LUN file, read on the host and independently
 * of the installer's own report — the partition table, the files on VLBOOT with their sha256, the
 * volume groups and logical volumes with their tags. Nothing here writes: partitions are attached
 * as read-only loop devices at their offsets (this host makes no partition nodes and has no
 * device-mapper, ARCHITECTURE §7), VLBOOT is read by mtools at its offset in the file, and LVM
 * reads only metadata, through a private configuration. The result holds no UUID and is sorted,
 * so two installs of the same spec compare by equality.
 */
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { UserError } from '../core/errors.ts';
import type { Command } from '../core/exec/command.ts';
import type { Runner } from '../core/exec/runner.ts';
import { formatBytes } from '../core/exec/units.ts';
import { BOOT_LABEL } from '../core/spec/derive.ts';
import { GPT_TYPES } from '../installer/engine/layout.ts';
import {
  lvmNumber,
  lvmReport,
  lvmReportCommands,
  parseJson,
  parseLvmReports,
  parseSfdisk,
  parseWipefs,
  sfdiskCommand,
  type VolumeGroupObservation,
  wipefsCommand,
} from '../installer/engine/observation.ts';
import { labSpec, sanPlan } from './lab.ts';
import { labPaths } from './state.ts';

export interface PartitionInspection {
  number: number;
  /** the GPT partition name */
  name?: string;
  /** GPT type GUID (upper case) or MBR type id */
  type: string;
  start: number;
  bytes: number;
  /** what libblkid finds on it (vfat, LVM2_member, ...), each once, sorted */
  signatures: string[];
  label?: string;
}

/**
 * as the installer observes it: the visible volumes (a shared VG's lease volume lvmlock is hidden);
 * a volume asked for with `checksums` has the sha256 of its contents, read from the LUN file
 */
export type VolumeGroupInspection = Omit<VolumeGroupObservation, 'logicalVolumes'> & {
  logicalVolumes: Array<VolumeGroupObservation['logicalVolumes'][number] & { sha256?: string }>;
};

export interface InspectOptions {
  /** logical volumes (by name, in any VG) whose contents are hashed: "nothing was written" checks */
  checksums?: string[];
}

export interface LunInspection {
  bytes: number;
  /** absent when the LUN has none (nothing was installed) */
  partitionTable?: { type: string };
  partitions: PartitionInspection[];
  /** absent when no partition named VLBOOT holds a FAT filesystem */
  vlboot?: { files: Array<{ path: string; bytes: number; sha256: string }> };
  volumeGroups: VolumeGroupInspection[];
}

/** the temp directory of one inspection (LVM's private configuration, copies of VLBOOT's files) */
export const INSPECT_TEMP_PREFIX = 'vl-inspect-';

// ---- the commands ------------------------------------------------------------------------------

export const attachReadOnly = (file: string, at: { start: number; bytes: number }): Command => ({
  tool: 'losetup',
  args: ['-f', '--show', '-r', '-o', String(at.start), '--sizelimit', String(at.bytes), file],
});

export const detachLoop = (device: string): Command => ({ tool: 'losetup', args: ['-d', device] });

/**
 * LVM's configuration for reading a LUN that is not this host's: no devices file, no udev, no
 * lvmlockd, hints, backups or archives, its lock files in `lockDir`; so LVM sees only the devices a
 * command names, and leaves nothing in /etc/lvm or /run/lvm.
 */
export const privateLvmConfig = (lockDir: string): string =>
  [
    'devices { use_devicesfile = 0 obtain_device_list_from_udev = 0 external_device_info_source = "none" hints = "none" }',
    `global { use_lvmlockd = 0 event_activation = 0 locking_dir = "${lockDir}" }`,
    'activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }',
    'backup { backup = 0 archive = 0 }',
    '',
  ].join('\n');

export const lvmEnvironment = (lvmDir: string) => ({ LVM_SYSTEM_DIR: lvmDir, LVM_SUPPRESS_FD_WARNINGS: '1' });

/** The installer's LVM reports, run on this host with the private configuration. */
export function hostLvmReports(physicalVolumes: string[], lvmDir: string): { vgs: Command; lvs: Command } {
  const { vgs, lvs } = lvmReportCommands(physicalVolumes);
  const onHost = (command: Command): Command => ({ ...command, env: lvmEnvironment(lvmDir) });
  return { vgs: onHost(vgs), lvs: onHost(lvs) };
}

/** where each logical volume's extents are: one row per segment, and each PV's first extent */
export function extentReports(
  physicalVolumes: string[],
  lvmDir: string,
): { pvs: Command; segments: Command } {
  const scope = ['--readonly', '--shared', '--reportformat', 'json', '--units', 'b', '--nosuffix'];
  const devices = physicalVolumes.flatMap((device) => ['--devices', device]);
  const env = lvmEnvironment(lvmDir);
  return {
    pvs: { tool: 'pvs', args: [...scope, ...devices, '-o', 'pv_name,pe_start'], env },
    segments: {
      tool: 'lvs',
      args: [...scope, ...devices, '--segments', '-o', 'vg_name,lv_name,seg_start_pe,segtype,seg_pe_ranges'],
      env,
    },
  };
}

/** a byte range of the LUN file */
export interface FileRange {
  start: number;
  bytes: number;
}

const PvRow = z.object({ pv_name: z.string(), pe_start: lvmNumber });
const SegmentRow = z.object({
  vg_name: z.string(),
  lv_name: z.string(),
  seg_start_pe: lvmNumber,
  segtype: z.string(),
  seg_pe_ranges: z.string(),
});

/**
 * The byte ranges of the LUN file that hold each volume, in the volume's order: a linear segment
 * `PV:first-last` is extents first..last of PV, which starts `offsets[PV]` bytes into the file and
 * has its first extent `pe_start` bytes into itself. Keyed `vg/lv`.
 */
export function volumeRanges(
  pvs: string,
  segments: string,
  extentBytes: (vg: string) => number,
  offsets: ReadonlyMap<string, number>,
): Map<string, FileRange[]> {
  const starts = new Map(
    parseJson('pvs', lvmReport('pv', PvRow), pvs).map((pv) => [pv.pv_name, pv.pe_start]),
  );
  const rows = parseJson('lvs', lvmReport('seg', SegmentRow), segments).sort(
    (a, b) => a.seg_start_pe - b.seg_start_pe,
  );
  const ranges = new Map<string, FileRange[]>();
  for (const row of rows) {
    const key = `${row.vg_name}/${row.lv_name}`;
    const match = /^(\S+):(\d+)-(\d+)$/.exec(row.seg_pe_ranges.trim());
    if (row.segtype !== 'linear' || !match) {
      throw new UserError(
        `${key} has a ${row.segtype} segment (${row.seg_pe_ranges || 'no extents'}): lab inspect hashes linear volumes only`,
      );
    }
    const [, pv = '', first = '0', last = '0'] = match;
    const offset = offsets.get(pv);
    const peStart = starts.get(pv);
    if (offset === undefined || peStart === undefined) {
      throw new UserError(`${key} lies on ${pv}, which is not a partition of the LUN read here`);
    }
    const size = extentBytes(row.vg_name);
    const list = ranges.get(key) ?? [];
    list.push({
      start: offset + peStart + Number(first) * size,
      bytes: (Number(last) - Number(first) + 1) * size,
    });
    ranges.set(key, list);
  }
  return ranges;
}

async function sha256OfRanges(file: string, ranges: FileRange[]): Promise<string> {
  const hash = createHash('sha256');
  for (const range of ranges) {
    for await (const chunk of createReadStream(file, {
      start: range.start,
      end: range.start + range.bytes - 1,
    })) {
      hash.update(chunk as Buffer);
    }
  }
  return hash.digest('hex');
}

// mtools checks a FAT's geometry against the disk's, which a file at an offset does not have
const mtoolsEnv = { MTOOLS_SKIP_CHECK: '1' };
const fatImage = (file: string, offset: number) => `${file}@@${offset}`;

export const listFat = (file: string, offset: number): Command => ({
  tool: 'mdir',
  args: ['-/', '-b', '-i', fatImage(file, offset), '::/'],
  env: mtoolsEnv,
  // 1 with `File "::/" not found`: the filesystem is empty
  allowExitCodes: [1],
});

/** mtools takes [ and ] in a name as a pattern; FAT names cannot hold \, * or ? */
const fatPattern = (path: string) => path.replaceAll(/[[\]]/g, '\\$&');

export const copyFromFat = (file: string, offset: number, path: string, to: string): Command => ({
  tool: 'mcopy',
  args: ['-n', '-i', fatImage(file, offset), `::${fatPattern(path)}`, to],
  env: mtoolsEnv,
});

/** `mdir -/ -b`: one `::/PATH` a line, directories ending in /; the files' paths, sorted */
export function parseFatListing(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('::/') && !line.endsWith('/'))
    .map((line) => line.slice(2))
    .sort(byText);
}

// ---- reading -----------------------------------------------------------------------------------

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byName = <T extends { name: string }>(a: T, b: T) => byText(a.name, b.name);

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** the files on the FAT at `offset` in `file`, each copied out once to be hashed */
async function readVlboot(
  file: string,
  offset: number,
  work: string,
  runner: Runner,
): Promise<NonNullable<LunInspection['vlboot']>> {
  const listing = await runner.run(listFat(file, offset));
  if (listing.exitCode !== 0 && !listing.stderr.includes('"::/" not found')) {
    throw new UserError(
      `mtools could not read VLBOOT at byte ${offset} of ${file}: ${listing.stderr.trim()}`,
      'the partition is named VLBOOT and holds a FAT signature, but its filesystem is damaged: fsck.vfat of a copy says more',
    );
  }
  // the runner hands output back as text lines, so a file's bytes go through a copy
  const copy = join(work, 'vlboot-file');
  const files = [];
  for (const path of parseFatListing(listing.stdout)) {
    await runner.run(copyFromFat(file, offset, path, copy));
    files.push({ path, bytes: statSync(copy).size, sha256: await sha256(copy) });
    rmSync(copy);
  }
  return { files };
}

function lunSize(file: string): number {
  if (!existsSync(file)) {
    throw new UserError(`no LUN file at ${file}`, 'virtualinux lab up creates it, lab install writes on it');
  }
  const stat = statSync(file);
  if (!stat.isFile()) throw new UserError(`${file} is not a file: lab inspect reads a LUN file`);
  return stat.size;
}

/**
 * The loop devices `use` attached are detached afterwards, whatever happened. One that will not
 * detach is an error only when `use` succeeded: otherwise `use`'s own error is the one to see.
 */
async function withLoops<T>(
  runner: Runner,
  use: (attach: (command: Command) => Promise<string>) => Promise<T>,
): Promise<T> {
  const attached: string[] = [];
  const attach = async (command: Command) => {
    const device = (await runner.run(command)).stdout.trim();
    attached.push(device);
    return device;
  };
  const stuck: string[] = [];
  let value: T;
  try {
    value = await use(attach);
  } finally {
    for (const device of attached.reverse()) {
      await runner.run(detachLoop(device)).catch(() => stuck.push(device));
    }
  }
  if (stuck.length > 0) {
    throw new UserError(
      `the inspection left loop devices attached: ${stuck.join(', ')}`,
      `detach them: losetup -d ${stuck.join(' ')}`,
    );
  }
  return value;
}

/** Reads what is on the LUN file; needs root (loop devices) once there is a partition table. */
export async function inspectLun(
  file: string,
  runner: Runner,
  options: InspectOptions = {},
): Promise<LunInspection> {
  const bytes = lunSize(file);
  const table = parseSfdisk((await runner.run(sfdiskCommand(file))).stdout);
  if (!table) return { bytes, partitions: [], volumeGroups: [] };
  if (process.getuid?.() !== 0) {
    throw new UserError(
      `lab inspect reads ${file} through loop devices, which only root can attach`,
      'run it as root',
    );
  }

  const work = mkdtempSync(join(tmpdir(), INSPECT_TEMP_PREFIX));
  try {
    return await withLoops(runner, async (attach) => {
      const partitions: PartitionInspection[] = [];
      const physicalVolumes: string[] = [];
      // where each partition's loop device starts in the file: volumes are hashed from the file
      const offsets = new Map<string, number>();
      for (const p of [...table.partitions].sort((a, b) => a.number - b.number)) {
        const device = await attach(attachReadOnly(file, p));
        const found = parseWipefs((await runner.run(wipefsCommand(device))).stdout);
        const signatures = [...new Set(found.map((s) => s.type))].sort(byText);
        const label = found.find((s) => s.label !== undefined)?.label;
        if (signatures.includes('LVM2_member')) physicalVolumes.push(device);
        offsets.set(device, p.start);
        partitions.push({
          number: p.number,
          ...(p.name !== undefined && { name: p.name }),
          type: p.type,
          start: p.start,
          bytes: p.bytes,
          signatures,
          ...(label !== undefined && { label }),
        });
      }

      const boot = partitions.find((p) => p.name === BOOT_LABEL && p.signatures.includes('vfat'));
      const vlboot = boot && (await readVlboot(file, boot.start, work, runner));
      return {
        bytes,
        partitionTable: { type: table.type },
        partitions,
        ...(vlboot && { vlboot }),
        volumeGroups: await readVolumeGroups(physicalVolumes, work, runner, {
          file,
          offsets,
          names: options.checksums ?? [],
        }),
      };
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function readVolumeGroups(
  physicalVolumes: string[],
  work: string,
  runner: Runner,
  checksums: { file: string; offsets: ReadonlyMap<string, number>; names: string[] },
): Promise<VolumeGroupInspection[]> {
  if (physicalVolumes.length === 0) return [];
  const lvmDir = join(work, 'lvm');
  mkdirSync(join(lvmDir, 'lock'), { recursive: true });
  writeFileSync(join(lvmDir, 'lvm.conf'), privateLvmConfig(join(lvmDir, 'lock')));
  const reports = hostLvmReports(physicalVolumes, lvmDir);
  const vgs = await runner.run(reports.vgs);
  const lvs = await runner.run(reports.lvs);
  const groups: VolumeGroupInspection[] = parseLvmReports(vgs.stdout, lvs.stdout)
    .map((vg) => ({
      ...vg,
      tags: [...vg.tags].sort(byText),
      logicalVolumes: vg.logicalVolumes
        .map((lv) => ({ ...lv, tags: [...lv.tags].sort(byText) }))
        .sort(byName),
    }))
    .sort(byName);
  if (checksums.names.length === 0) return groups;

  const missing = checksums.names.filter(
    (name) => !groups.some((vg) => vg.logicalVolumes.some((lv) => lv.name === name)),
  );
  if (missing.length > 0) {
    throw new UserError(
      `no logical volume ${missing.join(', ')} on the LUN`,
      `the LUN has: ${groups.flatMap((vg) => vg.logicalVolumes.map((lv) => lv.name)).join(', ') || 'none'}`,
    );
  }
  const extents = extentReports(physicalVolumes, lvmDir);
  const ranges = volumeRanges(
    (await runner.run(extents.pvs)).stdout,
    (await runner.run(extents.segments)).stdout,
    (name) => groups.find((vg) => vg.name === name)?.extentBytes ?? 0,
    checksums.offsets,
  );
  for (const vg of groups) {
    for (const lv of vg.logicalVolumes) {
      if (!checksums.names.includes(lv.name)) continue;
      const where = ranges.get(`${vg.name}/${lv.name}`);
      if (!where)
        throw new UserError(`LVM reported no extents for ${vg.name}/${lv.name}: it cannot be hashed`);
      lv.sha256 = await sha256OfRanges(checksums.file, where);
    }
  }
  return groups;
}

/** the LUN of the lab in `dir`: the one its spec (DIR/cluster.yaml, kept by lab down) names */
export function labLunFile(dir: string): string {
  const specFile = labPaths(dir).spec;
  if (!existsSync(specFile)) {
    throw new UserError(
      `no lab in ${dir}: no LUN to inspect`,
      'virtualinux lab up, then lab install; or name a LUN file with --lun FILE',
    );
  }
  return sanPlan(labSpec(specFile).spec, dir).lunFile;
}

// ---- the report --------------------------------------------------------------------------------

const typeNames: Record<string, string> = Object.fromEntries(
  Object.values(GPT_TYPES).map((type) => [type.guid, type.what]),
);

/** rows of cells as aligned columns, each line indented by two spaces */
function columns(rows: string[][]): string[] {
  const widths = rows.reduce<number[]>(
    (w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)),
    [],
  );
  return rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd());
}

/** A report an administrator reads: the table, VLBOOT's files, the volume groups. */
export function formatInspection(inspection: LunInspection, file?: string): string {
  const lines = [`LUN${file === undefined ? '' : ` ${file}`}: ${formatBytes(inspection.bytes)}`];
  if (!inspection.partitionTable) {
    lines.push('no partition table: nothing was installed on it');
    return `${lines.join('\n')}\n`;
  }
  lines.push(`${inspection.partitionTable.type} partition table:`);
  lines.push(
    ...columns(
      inspection.partitions.map((p) => [
        String(p.number),
        p.name ?? '',
        typeNames[p.type] ?? p.type,
        formatBytes(p.bytes),
        `at ${formatBytes(p.start)}`,
        [...p.signatures, ...(p.label === undefined ? [] : [`"${p.label}"`])].join(' ') || 'no signature',
      ]),
    ),
  );

  const files = inspection.vlboot?.files;
  if (files) {
    const total = files.reduce((sum, f) => sum + f.bytes, 0);
    lines.push(`${BOOT_LABEL}: ${files.length} file${files.length === 1 ? '' : 's'}, ${formatBytes(total)}`);
    lines.push(...columns(files.map((f) => [f.path, formatBytes(f.bytes), f.sha256])));
  } else {
    lines.push(`${BOOT_LABEL}: none (no partition named ${BOOT_LABEL} holds a FAT filesystem)`);
  }

  if (inspection.volumeGroups.length === 0) lines.push('no LVM volume group');
  for (const vg of inspection.volumeGroups) {
    const kind = vg.lockType ? `shared (${vg.lockType})` : 'local';
    const tags = vg.tags.length > 0 ? `; tags ${vg.tags.join(', ')}` : '';
    lines.push(
      `volume group ${vg.name}: ${kind}, ${formatBytes(vg.bytes)}, ${formatBytes(vg.freeBytes)} free, ${formatBytes(vg.extentBytes)} extents${tags}`,
    );
    if (vg.logicalVolumes.length === 0) lines.push('  no logical volume');
    lines.push(
      ...columns(
        vg.logicalVolumes.map((lv) => [
          lv.name,
          formatBytes(lv.bytes),
          lv.readOnly ? 'read-only' : 'writable',
          lv.tags.length > 0 ? `tags ${lv.tags.join(', ')}` : '',
          lv.sha256 ? `sha256 ${lv.sha256}` : '',
        ]),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
