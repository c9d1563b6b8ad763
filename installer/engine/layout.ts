/**
 * The layout the install gives the LUN (ARCHITECTURE §3), as data: a GPT with a BIOS-boot
 * partition, the VLBOOT ESP and one LVM physical volume; on it the VG vl_<cluster> with vl_meta,
 * one golden volume per image, one writable layer per blade and the shared volumes. Sizes come
 * from the spec, rounded up to whole LVM extents; a golden volume too small for its image is
 * refused here, with the numbers, before anything is planned.
 */
import {
  BOOT_LABEL,
  bladeVolume,
  clusterImages,
  expandBlades,
  goldenSize,
  goldenVolume,
  LAYOUT_OVERHEAD,
  META_VOLUME,
  sharedVolume,
  volumeGroup,
} from '../../core/spec/derive.ts';
import type { Spec } from '../../core/spec/schema.ts';
import { formatSize } from '../../core/spec/size.ts';
import type { Manifest } from '../../images/manifest.ts';
import { InstallRefusal } from './refusal.ts';

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
/** the VG's extent size: every logical volume is a whole number of these */
export const EXTENT_BYTES = 4 * MiB;
/** sanlock's leases live in a hidden LV (lvmlock) of a shared VG: 256 MiB with 512-byte sectors */
export const SANLOCK_LEASES_BYTES = 256 * MiB;
/** room a golden volume's filesystem needs beyond the files themselves */
export const GOLDEN_HEADROOM = 0.1;

/** the tag on the VG that says it is a VirtuaLinux cluster's, and the one that names the cluster */
export const VIRTUALINUX_TAG = 'virtualinux';
export const clusterTag = (cluster: string) => `vl.cluster=${cluster}`;
/** a GPT partition name holds at most 36 characters */
export const GPT_NAME_LENGTH = 36;

export const GPT_TYPES = {
  biosBoot: { code: 'ef02', guid: '21686148-6449-6E6F-744E-656564454649', what: 'BIOS boot' },
  esp: { code: 'ef00', guid: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', what: 'EFI System' },
  lvm: { code: '8e00', guid: 'E6D6D379-F507-44C2-A23C-238F2A3DF928', what: 'Linux LVM' },
} as const;

export interface TargetPartition {
  number: 1 | 2 | 3;
  role: 'bios-boot' | 'vlboot' | 'lvm';
  name: string;
  type: (typeof GPT_TYPES)[keyof typeof GPT_TYPES];
  start: number;
  /** absent: to the end of the LUN */
  bytes?: number;
}

export type VolumeRole = 'meta' | 'golden' | 'blade' | 'shared';

export interface TargetVolume {
  name: string;
  role: VolumeRole;
  bytes: number;
  /** set when the volume is created; marks of completed work are added later (plan.ts) */
  tags: string[];
  /** ext4 label, at most 16 characters */
  label: string;
  /** the image of a golden volume, the blade of a writable layer, the name of a shared volume */
  of?: string;
}

export interface LayoutNeedInBytes {
  boot: number;
  meta: number;
  images: number;
  blades: number;
  shared: number;
  /** sanlock's lease volume, in a shared VG only */
  locks: number;
  /** LVM metadata area and the GPT/alignment slack at both ends of the LUN */
  overhead: number;
  total: number;
}

export interface TargetLayout {
  cluster: string;
  vg: string;
  /** a shared VG (lvmlockd + sanlock): any blade can change it later, without a master */
  sharedVg: boolean;
  partitions: TargetPartition[];
  volumes: TargetVolume[];
  /** virtual-cluster images the spec names but the DVD does not carry: no golden volume for them */
  imagesLeftOut: string[];
  need: LayoutNeedInBytes;
}

export const alignUp = (bytes: number, unit: number) => Math.ceil(bytes / unit) * unit;

/** ext4 labels hold 16 bytes; the names here are ASCII */
export const ext4Label = (name: string) => name.slice(0, 16);

/** the golden volume's size: the spec's, in whole extents, and never less than the image needs */
function goldenVolumeSize(spec: Spec, image: string, manifest: Manifest): number {
  const bytes = alignUp(goldenSize(spec, image), EXTENT_BYTES);
  const least = Math.ceil(manifest.unpackedBytes * (1 + GOLDEN_HEADROOM));
  if (bytes < least) {
    const suggestion = Math.ceil(least / GiB);
    throw new InstallRefusal(
      'image-too-large',
      `image ${image} unpacks to ${formatSize(manifest.unpackedBytes)}, but its golden volume ${goldenVolume(image)} would be ${formatSize(bytes)}: it needs at least ${formatSize(least)} (the files and 10% for the filesystem)`,
      `set storage.images.${image}: ${suggestion}GiB in the spec`,
    );
  }
  return bytes;
}

/** The layout of the spec on a LUN; images are the DVD's manifests by image name. */
export function targetLayout(
  spec: Spec,
  images: Record<string, Manifest>,
  options: { sharedVg: boolean },
): TargetLayout {
  const vg = volumeGroup(spec);
  const boot = alignUp(spec.storage.boot, MiB);
  const partitions: TargetPartition[] = [
    { number: 1, role: 'bios-boot', name: 'vl-bios-boot', type: GPT_TYPES.biosBoot, start: MiB, bytes: MiB },
    { number: 2, role: 'vlboot', name: BOOT_LABEL, type: GPT_TYPES.esp, start: 2 * MiB, bytes: boot },
    {
      number: 3,
      role: 'lvm',
      name: vg.slice(0, GPT_NAME_LENGTH),
      type: GPT_TYPES.lvm,
      start: 2 * MiB + boot,
    },
  ];

  const volume = (role: VolumeRole, name: string, bytes: number, of?: string, tags: string[] = []) => ({
    name,
    role,
    bytes: alignUp(bytes, EXTENT_BYTES),
    tags,
    label: ext4Label(of ?? name),
    ...(of !== undefined && { of }),
  });
  // the blades cannot boot without the node image; a virtual-cluster image can be added later
  if (!images[spec.images.node]) {
    throw new InstallRefusal(
      'image-missing',
      `the spec's node image is ${spec.images.node}, but the DVD carries no image ${spec.images.node} (it has: ${Object.keys(images).sort().join(', ') || 'none'})`,
      'use a DVD built with it, or name one of those in images.node',
    );
  }
  const carried = clusterImages(spec).filter((image) => images[image] !== undefined);
  const volumes: TargetVolume[] = [
    volume('meta', META_VOLUME, spec.storage.meta),
    ...carried.map((image) =>
      volume('golden', goldenVolume(image), goldenVolumeSize(spec, image, images[image] as Manifest), image),
    ),
    ...expandBlades(spec).map((blade) =>
      // the blade's name as a tag: LVM host tags (@node01) let only that blade activate it
      volume('blade', bladeVolume(blade), spec.storage.bladeLayer, blade.name, [blade.name]),
    ),
    ...spec.storage.shared.map((shared) =>
      volume('shared', sharedVolume(shared.name), shared.size, shared.name),
    ),
  ];

  const sum = (role: VolumeRole) =>
    volumes.filter((v) => v.role === role).reduce((total, v) => total + v.bytes, 0);
  const need = {
    boot,
    meta: sum('meta'),
    images: sum('golden'),
    blades: sum('blade'),
    shared: sum('shared'),
    locks: options.sharedVg ? SANLOCK_LEASES_BYTES : 0,
    overhead: LAYOUT_OVERHEAD,
  };
  const total = Object.values(need).reduce((a, b) => a + b, 0);
  return {
    cluster: spec.cluster.name,
    vg,
    sharedVg: options.sharedVg,
    partitions,
    volumes,
    imagesLeftOut: clusterImages(spec).filter((image) => images[image] === undefined),
    need: { ...need, total },
  };
}

/** "VLBOOT 512 MiB, vl_meta 64 MiB, ..." : what the need is made of, for messages */
export function describeNeed(layout: TargetLayout): string {
  const { need } = layout;
  const volumes = (role: VolumeRole, thing: string) => {
    const n = layout.volumes.filter((v) => v.role === role).length;
    return `${n} ${thing}${n === 1 ? '' : 's'}`;
  };
  return [
    `${BOOT_LABEL} ${formatSize(need.boot)}`,
    `${META_VOLUME} ${formatSize(need.meta)}`,
    `${volumes('golden', 'golden image')} ${formatSize(need.images)}`,
    `${volumes('blade', 'blade layer')} ${formatSize(need.blades)}`,
    `${volumes('shared', 'shared volume')} ${formatSize(need.shared)}`,
    ...(need.locks > 0 ? [`sanlock leases ${formatSize(need.locks)}`] : []),
    `LVM and GPT overhead ${formatSize(need.overhead)}`,
  ].join(', ');
}
