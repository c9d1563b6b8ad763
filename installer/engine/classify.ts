/**
 * Whose is this LUN? Empty, someone else's data, another VirtuaLinux cluster, or this cluster
 * (complete or not: plan.ts tells by what is left to do). And what is on it, in words an
 * administrator can check against what they expected to find.
 */
import { BOOT_LABEL } from '../../core/spec/derive.ts';
import { formatSize } from '../../core/spec/size.ts';
import { GPT_TYPES, type TargetLayout, VIRTUALINUX_TAG } from './layout.ts';
import type {
  LunObservation,
  PartitionObservation,
  Signature,
  VolumeGroupObservation,
} from './observation.ts';

export type LunOwner =
  | { kind: 'fresh' }
  | { kind: 'foreign' }
  | { kind: 'other-cluster'; cluster: string }
  | { kind: 'this-cluster'; vg?: VolumeGroupObservation };

/** signatures that only say a partition table is there: the table itself is described instead */
const TABLE_SIGNATURES = new Set(['gpt', 'PMBR', 'dos']);

const CLUSTER_TAG = /^vl\.cluster=(.+)$/;

/** the cluster a VirtuaLinux VG belongs to, from its tag */
const taggedCluster = (vg: VolumeGroupObservation) =>
  vg.tags.map((tag) => CLUSTER_TAG.exec(tag)?.[1]).find((name) => name !== undefined);

const onlyTypes = (signatures: Signature[], allowed: (s: Signature) => boolean) => signatures.every(allowed);

/**
 * Does the LUN have VirtuaLinux's shape: a GPT with exactly the BIOS-boot, VLBOOT and LVM
 * partitions, VLBOOT empty or FAT labelled VLBOOT, the third empty or a physical volume, at most
 * one VG and that one tagged virtualinux? Sizes may differ (an older spec): that is noted, not refused.
 */
function virtualinuxShape(lun: LunObservation): boolean {
  if (lun.partitionTable?.type !== 'gpt' || lun.partitions.length !== 3) return false;
  const [bios, boot, lvm] = [1, 2, 3].map((n) => lun.partitions.find((p) => p.number === n));
  if (!bios || !boot || !lvm) return false;
  if (
    bios.type !== GPT_TYPES.biosBoot.guid ||
    boot.type !== GPT_TYPES.esp.guid ||
    lvm.type !== GPT_TYPES.lvm.guid
  )
    return false;
  if (boot.name !== BOOT_LABEL) return false;
  if (!onlyTypes(boot.signatures, (s) => s.type === 'vfat' && s.label === BOOT_LABEL)) return false;
  if (!onlyTypes(lvm.signatures, (s) => s.type === 'LVM2_member')) return false;
  if (!onlyTypes(lun.signatures, (s) => TABLE_SIGNATURES.has(s.type))) return false;
  if (lun.volumeGroups.length > 1) return false;
  const [vg] = lun.volumeGroups;
  return !vg || (vg.tags.includes(VIRTUALINUX_TAG) && taggedCluster(vg) !== undefined);
}

/**
 * Who holds the LUN, told before the cluster is named: nothing, data that is not VirtuaLinux's, or
 * a VirtuaLinux cluster, named by its VG's tag or, before the VG exists, by its LVM partition.
 */
export type LunHolder =
  | { kind: 'fresh' }
  | { kind: 'foreign' }
  | { kind: 'cluster'; cluster: string; vg?: VolumeGroupObservation; lvmPartition?: string };

export function lunHolder(lun: LunObservation): LunHolder {
  const empty =
    !lun.partitionTable &&
    lun.partitions.length === 0 &&
    lun.signatures.length === 0 &&
    lun.volumeGroups.length === 0;
  if (empty) return { kind: 'fresh' };
  if (!virtualinuxShape(lun)) return { kind: 'foreign' };
  const [vg] = lun.volumeGroups;
  if (vg) return { kind: 'cluster', cluster: taggedCluster(vg) ?? '', vg };
  // partitioned, but the VG is not there yet: the LVM partition is named after the VG
  const name = lun.partitions.find((p) => p.number === 3)?.name;
  return {
    kind: 'cluster',
    cluster: name?.replace(/^vl_/, '') ?? 'unknown',
    ...(name !== undefined && { lvmPartition: name }),
  };
}

export function classifyLun(layout: TargetLayout, lun: LunObservation): LunOwner {
  const holder = lunHolder(lun);
  if (holder.kind !== 'cluster') return holder;
  if (holder.vg) {
    return holder.vg.name === layout.vg && holder.cluster === layout.cluster
      ? { kind: 'this-cluster', vg: holder.vg }
      : { kind: 'other-cluster', cluster: holder.cluster };
  }
  const ours = layout.partitions.find((p) => p.role === 'lvm')?.name;
  return holder.lvmPartition === ours
    ? { kind: 'this-cluster' }
    : { kind: 'other-cluster', cluster: holder.cluster };
}

// ---- what is on a LUN, in words ---------------------------------------------------------------

export const count = (n: number, thing: string) => `${n} ${thing}${n === 1 ? '' : 's'}`;

const SIGNATURE_WORDS: Record<string, string> = {
  vfat: 'a FAT filesystem',
  swap: 'swap space',
  LVM2_member: 'an LVM physical volume',
  crypto_LUKS: 'a LUKS encrypted volume',
  linux_raid_member: 'a RAID member',
  zfs_member: 'a ZFS pool member',
  ntfs: 'an NTFS filesystem',
  iso9660: 'an ISO 9660 image',
};

export function describeSignature(signature: Signature): string {
  const what =
    SIGNATURE_WORDS[signature.type] ??
    `${/^[aeiou]/i.test(signature.type) ? 'an' : 'a'} ${signature.type} filesystem`;
  return signature.label ? `${what} labelled "${signature.label}"` : what;
}

const PARTITION_TYPE_WORDS: Record<string, string> = {
  [GPT_TYPES.biosBoot.guid]: GPT_TYPES.biosBoot.what,
  [GPT_TYPES.esp.guid]: GPT_TYPES.esp.what,
  [GPT_TYPES.lvm.guid]: GPT_TYPES.lvm.what,
  '0FC63DAF-8483-4772-8E79-3D69D8477DE4': 'Linux filesystem',
  '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F': 'Linux swap',
  'A19D880F-05FC-4D3B-A006-743F0F84911E': 'Linux RAID',
  'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7': 'Microsoft basic data',
  '83': 'Linux',
  '82': 'Linux swap',
  '8E': 'Linux LVM',
  '7': 'NTFS/exFAT',
  EF: 'EFI System',
};

function describePartition(partition: PartitionObservation): string {
  const name = partition.name ? ` "${partition.name}"` : '';
  const type = PARTITION_TYPE_WORDS[partition.type] ?? `type ${partition.type}`;
  // a FAT filesystem shows up to three signatures (boot sector, FAT, backup): say it once
  const found = [...new Set(partition.signatures.map(describeSignature))];
  const holds = found.length === 0 ? 'no filesystem or volume found' : found.join(', ');
  return `partition ${partition.number}${name} (${formatSize(partition.bytes)}, ${type}): ${holds}`;
}

function describeVolumeGroup(vg: VolumeGroupObservation): string {
  const shared = vg.lockType ? `, shared (${vg.lockType})` : '';
  const cluster = taggedCluster(vg);
  const owner = cluster ? `, VirtuaLinux cluster "${cluster}"` : '';
  const lvs = vg.logicalVolumes.map((lv) => `${lv.name} ${formatSize(lv.bytes)}`);
  const holds =
    lvs.length === 0 ? 'no logical volumes' : `${count(lvs.length, 'logical volume')}: ${lvs.join(', ')}`;
  return `LVM volume group ${vg.name} (${formatSize(vg.bytes)}${shared}${owner}): ${holds}`;
}

const TABLE_WORDS: Record<string, string> = { gpt: 'a GPT', dos: 'an MBR (dos)' };

/** one line per thing found: partition table, each partition, each VG, a filesystem on the bare LUN */
export function describeContents(lun: LunObservation): string[] {
  const table = lun.partitionTable;
  return [
    ...lun.signatures
      .filter((s) => !TABLE_SIGNATURES.has(s.type))
      .map((s) => `${describeSignature(s)} on the whole LUN`),
    ...(table
      ? [
          `${TABLE_WORDS[table.type] ?? `a ${table.type}`} partition table with ${count(lun.partitions.length, 'partition')}`,
        ]
      : []),
    ...lun.partitions.map(describePartition),
    ...lun.volumeGroups.map(describeVolumeGroup),
  ];
}

/** /dev/sdb (40 GiB, IET VIRTUAL-DISK, serial beaf11) */
export function describeLun(lun: LunObservation): string {
  const identity = [lun.vendor, lun.model].filter(Boolean).join(' ');
  const details = [formatSize(lun.bytes), identity, lun.serial && `serial ${lun.serial}`].filter(Boolean);
  return `${lun.device} (${details.join(', ')})`;
}
