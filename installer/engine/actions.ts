/**
 * The install's actions, one builder each: what it does in words (with sizes), and its commands.
 * Each builder is told what is already there, so that a resumed install redoes only what is
 * missing, and what is done is marked with an LVM tag as the action's last command: `vgs`/`lvs`
 * then show the install's progress without activating or mounting anything.
 */
import { createHash } from 'node:crypto';
import { type Command, formatCommand } from '../../core/exec/command.ts';
import type { Action } from '../../core/plan/plan.ts';
import { BOOT_LABEL, META_VOLUME } from '../../core/spec/derive.ts';
import { formatSize } from '../../core/spec/size.ts';
import type { Manifest } from '../../images/manifest.ts';
import {
  activate,
  copy,
  deactivate,
  dmRemove,
  grubInstallBios,
  grubInstallEfi,
  lockStart,
  lvchange,
  lvcreate,
  lvmMapperName,
  lvPath,
  mkdir,
  mkfsExt4,
  mkfsVfat,
  mount,
  pvcreate,
  rereadPartitions,
  sgdiskLayout,
  umount,
  umountIfMounted,
  unpackImage,
  verifySha256,
  vgAddTag,
  vgcreate,
  vgDeactivate,
  wipeSignatures,
  writeFile,
  zapPartitionTable,
} from './commands.ts';
import { clusterTag, EXTENT_BYTES, type TargetLayout, type TargetVolume, VIRTUALINUX_TAG } from './layout.ts';
import type { MetaContent } from './meta.ts';
import type { LogicalVolumeObservation, LunObservation } from './observation.ts';
import { type BootContent, VLBOOT_FILES } from './vlboot.ts';

/** a volume whose filesystem is made */
export const READY_TAG = 'vl.ready';
/** a golden volume holding the image whose archive has this sha256 */
export const imageTag = (sha256: string) => `vl.image=${sha256}`;
/** VLBOOT's content, by the hash of what was written there (a VG tag: VLBOOT is no LV) */
export const bootTag = (hash: string) => `vl.boot=${hash}`;
/** vl_meta's content, by the hash of what was written there */
export const metaTag = (hash: string) => `vl.meta=${hash}`;

export const tagsStartingWith = (tags: string[], prefix: string) => tags.filter((t) => t.startsWith(prefix));

/** where the live system finds the DVD's files, and where the installer mounts what it writes */
export interface Places {
  /** the DVD, as live-boot mounts it */
  medium: string;
  /** mount points of the volumes being written */
  workDir: string;
}

export const imageArchive = (places: Places, image: string) => `${places.medium}/images/${image}.tar.zst`;

/** An action whose journal inputs are its commands: another command line, another run. */
function action(id: string, description: string, commands: Command[]): Action {
  const inputs = commands.map((c) => ({
    line: formatCommand({ ...c, stdin: c.stdin !== undefined }),
    ...(typeof c.stdin === 'string' && { stdin: c.stdin }),
  }));
  return { id, description, commands, inputs };
}

// ---- the LUN -----------------------------------------------------------------------------------

/**
 * Device-mapper devices on the LUN that no volume group seen there accounts for: left active by
 * data that is gone (the LUN overwritten from elsewhere). They keep the LUN busy and their
 * /dev/VG directories make vgcreate refuse the name.
 */
export const strayMappings = (lun: LunObservation): string[] => {
  const known = new Set(
    lun.volumeGroups.flatMap((vg) => vg.logicalVolumes.map((lv) => lvmMapperName(vg.name, lv.name))),
  );
  return lun.mappedDevices.filter((name) => !known.has(name));
};

export function releaseAction(lun: LunObservation): Action {
  const stray = strayMappings(lun);
  return action(
    'release',
    `remove device-mapper devices left on ${lun.device} by data no longer there: ${stray.join(', ')}`,
    stray.map(dmRemove),
  );
}

/**
 * The mounts an install that died (killed, powered off mid-way) left of this LUN's VirtuaLinux
 * volumes where it mounts them (`WORKDIR/NAME`, `WORKDIR/VLBOOT`): they keep the VG busy. A VG is
 * VirtuaLinux's when it holds vl_meta; VLBOOT is the partition of that name.
 */
function leftMounts(lun: LunObservation, workDir: string): Command[] {
  const ours = lun.volumeGroups.filter((vg) => vg.logicalVolumes.some((lv) => lv.name === META_VOLUME));
  return [
    ...(lun.partitions.some((p) => p.name === BOOT_LABEL)
      ? [umountIfMounted(`${workDir}/${BOOT_LABEL}`)]
      : []),
    ...ours.flatMap((vg) => vg.logicalVolumes.map((lv) => umountIfMounted(`${workDir}/${lv.name}`))),
  ];
}

export function wipeAction(lun: LunObservation, contents: string[], workDir: string): Action {
  return action('wipe', `erase everything on ${lun.device}: ${contents.join('; ')}`, [
    ...leftMounts(lun, workDir),
    // a VG with active volumes keeps its partition busy; so do mappings left by data gone from it
    ...lun.volumeGroups.map((vg) => vgDeactivate(vg.name)),
    ...strayMappings(lun).map(dmRemove),
    ...lun.partitions.filter((p) => p.signatures.length > 0).map((p) => wipeSignatures(p.device)),
    zapPartitionTable(lun.device),
    wipeSignatures(lun.device),
    ...rereadPartitions(lun.device),
  ]);
}

export function partitionAction(device: string, layout: TargetLayout): Action {
  const parts = layout.partitions.map(
    (p) =>
      `${p.number} ${p.name} ${p.bytes === undefined ? 'the rest' : formatSize(p.bytes)} (${p.type.what})`,
  );
  return action('partition', `write a GPT on ${device}: ${parts.join(', ')}`, [
    sgdiskLayout(device, layout.partitions),
    ...rereadPartitions(device),
  ]);
}

/** VLBOOT's FAT volume id: the cluster's, the same at every install of it */
export const vlbootVolumeId = (cluster: string) =>
  createHash('sha256').update(`VLBOOT ${cluster}`).digest('hex').slice(0, 8).toUpperCase();

export function formatBootAction(partition: string, bytes: number, cluster: string): Action {
  const id = vlbootVolumeId(cluster);
  return action(
    'format-vlboot',
    `format ${partition} (${formatSize(bytes)}) as FAT32 labelled ${BOOT_LABEL}, volume id ${id.slice(0, 4)}-${id.slice(4)}`,
    [mkfsVfat(partition, BOOT_LABEL, id)],
  );
}

export function createPvAction(partition: string): Action {
  return action('create-pv', `make ${partition} an LVM physical volume`, [pvcreate(partition)]);
}

export function createVgAction(layout: TargetLayout, partition: string): Action {
  const kind = layout.sharedVg
    ? 'shared: lvmlockd + sanlock, leases on the LUN'
    : 'local: lvmlockd and sanlock are not in use here';
  return action(
    'create-vg',
    `create the volume group ${layout.vg} on ${partition} (${formatSize(EXTENT_BYTES)} extents, ${kind})`,
    [
      vgcreate(layout, partition, [VIRTUALINUX_TAG, clusterTag(layout.cluster)]),
      ...(layout.sharedVg ? [lockStart(layout.vg)] : []),
    ],
  );
}

export const lockStartAction = (vg: string): Action =>
  action('start-locks', `join the sanlock lockspace of the shared volume group ${vg}`, [lockStart(vg)]);

// ---- volumes -----------------------------------------------------------------------------------

/** what is there of a volume: nothing, the LV, or the LV with its marks */
export type Seen = LogicalVolumeObservation | undefined;

/** create the LV if missing; after a crash, leave a stale mount behind first */
function createOrReuse(
  layout: TargetLayout,
  volume: TargetVolume,
  seen: Seen,
  mountPoint?: string,
): Command[] {
  if (!seen) return [lvcreate(layout.vg, volume.name, volume.bytes, volume.tags)];
  return mountPoint ? [umountIfMounted(mountPoint)] : [];
}

/** a writable ext4 volume: meta, blade layer, shared data; each is one machine's at a time (MMP) */
export function filesystemVolumeAction(
  id: string,
  description: string,
  layout: TargetLayout,
  volume: TargetVolume,
  seen: Seen,
): Action {
  return action(id, description, [
    ...createOrReuse(layout, volume, seen),
    activate(layout.vg, volume.name),
    mkfsExt4(lvPath(layout.vg, volume.name), volume.label, { mmp: true }),
    deactivate(layout.vg, volume.name),
    ...(seen?.tags.includes(READY_TAG) ? [] : [lvchange(layout.vg, volume.name, { addTags: [READY_TAG] })]),
  ]);
}

export function goldenImageAction(
  layout: TargetLayout,
  volume: TargetVolume,
  manifest: Manifest,
  seen: Seen,
  places: Places,
): Action {
  const image = manifest.name;
  const archive = imageArchive(places, image);
  const directory = `${places.workDir}/${volume.name}`;
  const device = lvPath(layout.vg, volume.name);
  const oldMarks = seen ? tagsStartingWith(seen.tags, 'vl.image=') : [];
  return action(
    `image:${image}`,
    `write image ${image} ${seen ? `again onto the existing ${volume.name}` : `onto ${volume.name}`} (${formatSize(volume.bytes)}, read-only once written): check ${archive} against the sha256 of its manifest, unpack ${formatSize(manifest.unpackedBytes)}`,
    [
      verifySha256(archive, manifest.archive.sha256),
      ...createOrReuse(layout, volume, seen, directory),
      ...(seen?.readOnly ? [lvchange(layout.vg, volume.name, { permission: 'rw', delTags: oldMarks })] : []),
      activate(layout.vg, volume.name),
      // no blocks reserved for root: nothing writes to a golden image once it is made
      mkfsExt4(device, volume.label, { reserved: 0 }),
      mkdir(directory),
      mount(device, directory, 'ext4'),
      unpackImage(archive, directory, manifest.unpackedBytes),
      umount(directory),
      deactivate(layout.vg, volume.name),
      lvchange(layout.vg, volume.name, {
        permission: 'r',
        delTags: seen?.readOnly ? [] : oldMarks,
        addTags: [imageTag(manifest.archive.sha256)],
      }),
    ],
  );
}

// ---- VLBOOT and vl_meta content ----------------------------------------------------------------

export function bootContentAction(
  layout: TargetLayout,
  device: string,
  partition: string,
  content: BootContent,
  oldMarks: string[],
  places: Places,
): Action {
  const root = `${places.workDir}/${BOOT_LABEL}`;
  const boot = `${root}/boot`;
  const blade = `${places.medium}/boot/blade`;
  return action(
    'vlboot',
    `install GRUB (BIOS and UEFI), the blades' kernel and initramfs, grub.cfg, the blade map (${content.blades} blades), hosts, the cluster network, root's SSH keys, the spec${content.runtime ? ' and the virtualinux command' : ''} on ${BOOT_LABEL}`,
    [
      mkdir(root),
      umountIfMounted(root),
      mount(partition, root, 'vfat'),
      grubInstallBios(device, boot),
      grubInstallEfi(root, boot),
      copy(`${blade}/vmlinuz`, `${root}${VLBOOT_FILES.kernel}`),
      copy(`${blade}/initrd.img`, `${root}${VLBOOT_FILES.initrd}`),
      mkdir(`${root}/boot/grub`, `${root}/virtualinux`),
      writeFile(`${root}${VLBOOT_FILES.grubConfig}`, content.grubConfig),
      writeFile(`${root}${VLBOOT_FILES.bladeMap}`, content.bladeMap),
      writeFile(`${root}${VLBOOT_FILES.hosts}`, content.hosts),
      writeFile(`${root}${VLBOOT_FILES.cluster}`, content.cluster),
      writeFile(`${root}${VLBOOT_FILES.authorizedKeys}`, content.authorizedKeys),
      writeFile(`${root}${VLBOOT_FILES.spec}`, content.spec),
      ...(content.runtime
        ? [
            mkdir(`${root}/virtualinux/runtime`),
            copy(content.runtime.node, `${root}${VLBOOT_FILES.node}`),
            copy(content.runtime.bundle, `${root}${VLBOOT_FILES.bundle}`),
          ]
        : []),
      umount(root),
      vgAddTag(layout.vg, bootTag(content.hash), oldMarks),
    ],
  );
}

export function metaContentAction(
  layout: TargetLayout,
  content: MetaContent,
  seen: Seen,
  places: Places,
): Action {
  const directory = `${places.workDir}/${META_VOLUME}`;
  const device = lvPath(layout.vg, META_VOLUME);
  return action('meta', `write ${Object.keys(content.files).join(' and ')} to ${META_VOLUME}`, [
    activate(layout.vg, META_VOLUME),
    mkdir(directory),
    umountIfMounted(directory),
    mount(device, directory, 'ext4'),
    ...Object.entries(content.files).map(([name, text]) => writeFile(`${directory}/${name}`, text)),
    umount(directory),
    deactivate(layout.vg, META_VOLUME),
    lvchange(layout.vg, META_VOLUME, {
      delTags: seen ? tagsStartingWith(seen.tags, 'vl.meta=') : [],
      addTags: [metaTag(content.hash)],
    }),
  ]);
}
