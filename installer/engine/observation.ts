/**
 * What the install engine knows about a LUN, read from the tools' own JSON: `lsblk -J` (size and
 * identity), `sfdisk -J` (the partition table), `wipefs -J` (signatures on the LUN and on each
 * partition: libblkid probes them itself, so they are right even where lsblk has no udev data) and
 * LVM's JSON reports (volume groups, logical volumes, their tags). Parsed here once, at the boundary;
 * the planner trusts the resulting LunObservation.
 */
import { z } from 'zod';
import { UserError } from '../../core/errors.ts';
import type { Command } from '../../core/exec/command.ts';

export interface Signature {
  /** what libblkid calls it: gpt, PMBR, dos, vfat, ext4, swap, LVM2_member, crypto_LUKS, ... */
  type: string;
  /** bytes from the start of the device the signature was found on */
  offset: number;
  label?: string;
  uuid?: string;
}

export interface PartitionObservation {
  number: number;
  /** the partition's device node, as sfdisk names it (/dev/sdb2, /dev/nvme0n1p2) */
  device: string;
  start: number;
  bytes: number;
  /** GPT type GUID (upper case) or MBR type id (hex, e.g. 83) */
  type: string;
  /** the GPT partition name */
  name?: string;
  signatures: Signature[];
}

export interface LogicalVolumeObservation {
  name: string;
  bytes: number;
  tags: string[];
  readOnly: boolean;
}

export interface VolumeGroupObservation {
  name: string;
  /** sanlock or dlm for a shared VG; absent for a local one */
  lockType?: string;
  bytes: number;
  freeBytes: number;
  extentBytes: number;
  tags: string[];
  logicalVolumes: LogicalVolumeObservation[];
}

export interface LunObservation {
  device: string;
  bytes: number;
  vendor?: string;
  model?: string;
  serial?: string;
  partitionTable?: { type: string; id?: string; sectorBytes: number };
  partitions: PartitionObservation[];
  /** signatures on the whole device: partition table marks, or a filesystem written on the bare LUN */
  signatures: Signature[];
  /** the volume groups whose physical volumes are on this LUN */
  volumeGroups: VolumeGroupObservation[];
  /**
   * device-mapper devices (LVM volumes, multipath, crypt) stacked on the LUN or its partitions,
   * deepest first, as lsblk lists them: after the LUN was overwritten they outlive what made them
   */
  mappedDevices: string[];
}

/** The tools' outputs for one LUN, as text, exactly as the observer read them. */
export interface LunReadings {
  lsblk: string;
  /** empty when sfdisk found no partition table (it then exits 1 and prints nothing) */
  sfdisk: string;
  wipefs: string;
  /** `wipefs -J` of each partition, by partition number */
  partitionWipefs?: Record<number, string>;
  /** LVM's reports restricted to the LUN's partitions; absent when none of them is a physical volume */
  lvm?: { vgs: string; lvs: string };
}

// ---- the commands that produce the readings --------------------------------------------------

export const LSBLK_COLUMNS = 'NAME,PATH,SIZE,TYPE,FSTYPE,LABEL,PARTLABEL,PARTTYPE,VENDOR,MODEL,SERIAL,PTTYPE';
export const VGS_COLUMNS = 'vg_name,vg_size,vg_free,vg_extent_size,vg_lock_type,vg_tags,pv_count,lv_count';
export const LVS_COLUMNS = 'lv_name,vg_name,lv_size,lv_tags,lv_permissions';

export const lsblkCommand = (device: string): Command => ({
  tool: 'lsblk',
  args: ['-J', '-b', '-o', LSBLK_COLUMNS, device],
});

export const sfdiskCommand = (device: string): Command => ({
  tool: 'sfdisk',
  args: ['-J', device],
  // 1: "does not contain a recognized partition table"
  allowExitCodes: [1],
});

export const wipefsCommand = (device: string): Command => ({ tool: 'wipefs', args: ['-J', device] });

/**
 * LVM's reports about the given physical volumes only. --readonly reads the metadata without
 * taking locks; --shared includes a shared VG where lvmlockd does not run (LVM 2.03 leaves it out
 * of the report without a word otherwise), so a shared VG reads the same either way.
 */
export function lvmReportCommands(physicalVolumes: string[]): { vgs: Command; lvs: Command } {
  const scope = ['--readonly', '--shared', '--reportformat', 'json', '--units', 'b', '--nosuffix'];
  const devices = physicalVolumes.flatMap((device) => ['--devices', device]);
  return {
    vgs: { tool: 'vgs', args: [...scope, ...devices, '-o', VGS_COLUMNS] },
    lvs: { tool: 'lvs', args: [...scope, ...devices, '-o', LVS_COLUMNS] },
  };
}

// ---- the tools' JSON ---------------------------------------------------------------------------

const text = z
  .string()
  .nullish()
  .transform((value) => value?.trim() || undefined);
/** lsblk -b prints sizes as numbers since util-linux 2.33, as strings before */
const byteCount = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

export interface LsblkDevice {
  name: string;
  path?: string | undefined;
  size: number;
  type: string;
  vendor?: string | undefined;
  model?: string | undefined;
  serial?: string | undefined;
  pttype?: string | undefined;
  children?: LsblkDevice[] | undefined;
}

const LsblkDevice: z.ZodType<LsblkDevice> = z.lazy(() =>
  z.object({
    name: z.string(),
    path: text,
    size: byteCount,
    type: z.string(),
    vendor: text,
    model: text,
    serial: text,
    pttype: text,
    children: z.array(LsblkDevice).optional(),
  }),
);

const LsblkReport = z.object({ blockdevices: z.array(LsblkDevice) });

const SfdiskReport = z.object({
  partitiontable: z.object({
    label: z.string(),
    id: z.string().optional(),
    device: z.string(),
    unit: z.literal('sectors'),
    sectorsize: z.number().int().positive().default(512),
    partitions: z
      .array(
        z.object({
          node: z.string(),
          start: z.number().int(),
          size: z.number().int(),
          type: z.string(),
          name: z.string().optional(),
        }),
      )
      .default([]),
  }),
});

const WipefsReport = z.object({
  signatures: z.array(
    z.object({
      offset: z.string().regex(/^0x[0-9a-f]+$/i),
      type: z.string(),
      uuid: text,
      label: text,
    }),
  ),
});

export const lvmNumber = z.string().regex(/^\d+$/).transform(Number);
const lvmTags = z.string().transform((tags) => (tags === '' ? [] : tags.split(',')));

const VgRow = z.object({
  vg_name: z.string(),
  vg_size: lvmNumber,
  vg_free: lvmNumber,
  vg_extent_size: lvmNumber,
  vg_lock_type: z.string(),
  vg_tags: lvmTags,
});

const LvRow = z.object({
  lv_name: z.string(),
  vg_name: z.string(),
  lv_size: lvmNumber,
  lv_tags: lvmTags,
  lv_permissions: z.string(),
});

export const lvmReport = <Row extends z.ZodType>(key: 'vg' | 'lv' | 'pv' | 'seg', row: Row) =>
  z
    .object({ report: z.array(z.object({ [key]: z.array(row).default([]) })) })
    .transform(({ report }) => report.flatMap((section) => (section[key] ?? []) as z.infer<Row>[]));

const VgsReport = lvmReport('vg', VgRow);
const LvsReport = lvmReport('lv', LvRow);

/** Output of a tool that the installer cannot read: not the administrator's doing, but theirs to see. */
export class ObservationError extends UserError {
  constructor(tool: string, problem: string) {
    super(
      `the installer could not read what ${tool} reported: ${problem}`,
      `run ${tool} by hand to see its output; a version of it the installer does not know may be installed`,
    );
  }
}

export function parseJson<Schema extends z.ZodType>(
  tool: string,
  schema: Schema,
  output: string,
): z.infer<Schema> {
  let json: unknown;
  try {
    json = JSON.parse(output);
  } catch {
    throw new ObservationError(tool, 'its output is not JSON');
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ObservationError(tool, `${issue?.path.join('.') || 'its output'}: ${issue?.message}`);
  }
  return result.data;
}

// ---- one parser per tool -----------------------------------------------------------------------

export function parseLsblk(output: string): LsblkDevice {
  const { blockdevices } = parseJson('lsblk', LsblkReport, output);
  const [device] = blockdevices;
  if (!device) throw new ObservationError('lsblk', 'it listed no device');
  return device;
}

export interface PartitionTable {
  type: string;
  id?: string;
  sectorBytes: number;
  partitions: Omit<PartitionObservation, 'signatures'>[];
}

/** the number at the end of a partition's node: /dev/sdb2 → 2, /dev/nvme0n1p12 → 12 */
function partitionNumber(node: string, index: number): number {
  const digits = /(\d+)$/.exec(node)?.[1];
  return digits === undefined ? index + 1 : Number(digits);
}

/** sfdisk -J; an empty output (no partition table) gives undefined */
export function parseSfdisk(output: string): PartitionTable | undefined {
  if (output.trim() === '') return undefined;
  const { partitiontable: table } = parseJson('sfdisk', SfdiskReport, output);
  const sector = table.sectorsize;
  return {
    type: table.label,
    ...(table.id !== undefined && { id: table.id }),
    sectorBytes: sector,
    partitions: table.partitions.map((p, index) => ({
      number: partitionNumber(p.node, index),
      device: p.node,
      start: p.start * sector,
      bytes: p.size * sector,
      type: p.type.toUpperCase(),
      ...(p.name !== undefined && p.name !== '' && { name: p.name }),
    })),
  };
}

/** wipefs -J; nothing at all (some versions print nothing when there is no signature) is none */
export function parseWipefs(output: string): Signature[] {
  if (output.trim() === '') return [];
  return parseJson('wipefs', WipefsReport, output).signatures.map((s) => ({
    type: s.type,
    offset: Number.parseInt(s.offset, 16),
    ...(s.label !== undefined && { label: s.label }),
    ...(s.uuid !== undefined && { uuid: s.uuid }),
  }));
}

/** vgs and lvs, --reportformat json --units b --nosuffix, with VGS_COLUMNS and LVS_COLUMNS */
export function parseLvmReports(vgs: string, lvs: string): VolumeGroupObservation[] {
  const volumes = parseJson('lvs', LvsReport, lvs);
  return parseJson('vgs', VgsReport, vgs).map((vg) => ({
    name: vg.vg_name,
    ...(vg.vg_lock_type !== '' && { lockType: vg.vg_lock_type }),
    bytes: vg.vg_size,
    freeBytes: vg.vg_free,
    extentBytes: vg.vg_extent_size,
    tags: vg.vg_tags,
    logicalVolumes: volumes
      .filter((lv) => lv.vg_name === vg.vg_name)
      .map((lv) => ({
        name: lv.lv_name,
        bytes: lv.lv_size,
        tags: lv.lv_tags,
        // read-only-override: writable in the metadata, activated read-only here
        readOnly: lv.lv_permissions === 'read-only',
      })),
  }));
}

/** Everything the observer read about one LUN, as one typed value. */
export function parseLunObservation(readings: LunReadings): LunObservation {
  const device = parseLsblk(readings.lsblk);
  const table = parseSfdisk(readings.sfdisk);
  const path = device.path ?? `/dev/${device.name}`;
  return {
    device: path,
    bytes: device.size,
    ...(device.vendor !== undefined && { vendor: device.vendor }),
    ...(device.model !== undefined && { model: device.model }),
    ...(device.serial !== undefined && { serial: device.serial }),
    ...(table && {
      partitionTable: {
        type: table.type,
        ...(table.id !== undefined && { id: table.id }),
        sectorBytes: table.sectorBytes,
      },
    }),
    partitions: (table?.partitions ?? []).map((partition) => ({
      ...partition,
      signatures: parseWipefs(readings.partitionWipefs?.[partition.number] ?? ''),
    })),
    signatures: parseWipefs(readings.wipefs),
    volumeGroups: readings.lvm ? parseLvmReports(readings.lvm.vgs, readings.lvm.lvs) : [],
    mappedDevices: stackedDevices(device),
  };
}

/** names of what lsblk lists above the device that is not a partition, deepest first, once each */
function stackedDevices(device: LsblkDevice): string[] {
  const found: string[] = [];
  const walk = (node: LsblkDevice) => {
    for (const child of node.children ?? []) {
      walk(child);
      if (child.type !== 'part' && !found.includes(child.name)) found.push(child.name);
    }
  };
  walk(device);
  return found;
}
