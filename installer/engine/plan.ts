/**
 * planInstall: (spec, the LUN as observed, the DVD's images) → the install as a Plan. Pure: it
 * reads nothing and runs nothing. A LUN that cannot take the install is refused here, before
 * any action exists (InstallRefusal); a LUN that already holds this cluster gets only what is
 * missing, so the same command resumes an interrupted install, and a complete one plans nothing.
 */
import type { Action, Plan } from '../../core/plan/plan.ts';
import { BOOT_LABEL, goldenVolume, META_VOLUME } from '../../core/spec/derive.ts';
import type { Spec } from '../../core/spec/schema.ts';
import { formatSize } from '../../core/spec/size.ts';
import type { Manifest } from '../../images/manifest.ts';
import {
  bootContentAction,
  bootTag,
  createPvAction,
  createVgAction,
  filesystemVolumeAction,
  formatBootAction,
  goldenImageAction,
  imageTag,
  lockStartAction,
  metaContentAction,
  metaTag,
  type Places,
  partitionAction,
  READY_TAG,
  releaseAction,
  type Seen,
  strayMappings,
  tagsStartingWith,
  wipeAction,
} from './actions.ts';
import { classifyLun, describeContents, describeLun } from './classify.ts';
import { partitionDevice } from './commands.ts';
import { describeNeed, type TargetLayout, type TargetVolume, targetLayout } from './layout.ts';
import { metaContent } from './meta.ts';
import type { LunObservation, VolumeGroupObservation } from './observation.ts';
import { InstallRefusal } from './refusal.ts';
import { type BladeRuntime, bootContent } from './vlboot.ts';

export interface InstallOptions {
  /** the DVD's image manifests, by image name */
  images: Record<string, Manifest>;
  /** lvmlockd and sanlock run here: a new VG is created shared */
  sharedVg: boolean;
  /** erase whatever the LUN holds first; must be the spec's cluster name (--wipe NAME) */
  wipe?: string;
  /** the LUN holds this cluster: write its images, blade layers, VLBOOT and vl_meta again (shared_* kept) */
  reinstall?: boolean;
  /** where the DVD is mounted; default /run/live/medium (live-boot) */
  medium?: string;
  /** where the installer mounts what it writes; default /run/virtualinux/install */
  workDir?: string;
  /** the Node and installer bundle to copy to VLBOOT for the blades; none: blades get no virtualinux command */
  runtime?: BladeRuntime;
}

/**
 * fresh: nothing was on the LUN; wiped: something was, --wipe erases it; partial: this cluster,
 * interrupted (the plan is what is left); complete: this cluster, nothing to do; reinstall: this
 * cluster, written again.
 */
export type LunVerdict = 'fresh' | 'wiped' | 'partial' | 'complete' | 'reinstall';

export interface InstallPlan extends Plan {
  verdict: LunVerdict;
  /** what the LUN held before, one item a line (empty for a fresh LUN) */
  contents: string[];
  layout: TargetLayout;
  /** what the administrator should know but that stops nothing: sizes that differ from the spec, ... */
  notes: string[];
}

const defaultPlaces: Places = { medium: '/run/live/medium', workDir: '/run/virtualinux/install' };

/** What is already in place, as far as the observation shows. */
interface InPlace {
  partitioned: boolean;
  bootFormatted: boolean;
  physicalVolume: boolean;
  vg?: VolumeGroupObservation;
}

const NOTHING: InPlace = { partitioned: false, bootFormatted: false, physicalVolume: false };

function inPlace(lun: LunObservation, vg: VolumeGroupObservation | undefined): InPlace {
  const partition = (n: number) => lun.partitions.find((p) => p.number === n);
  return {
    partitioned: true,
    bootFormatted: (partition(2)?.signatures.length ?? 0) > 0,
    physicalVolume: vg !== undefined || (partition(3)?.signatures.length ?? 0) > 0,
    ...(vg && { vg }),
  };
}

function refuseTooSmall(lun: LunObservation, layout: TargetLayout): void {
  if (lun.bytes >= layout.need.total) return;
  throw new InstallRefusal(
    'too-small',
    `the LUN ${describeLun(lun)} is too small for cluster ${layout.cluster}: it needs ${formatSize(layout.need.total)} (${describeNeed(layout)}), the LUN has ${formatSize(lun.bytes)}`,
    'use a larger LUN, or make storage.bladeLayer, storage.images or storage.shared smaller in the spec',
  );
}

function refuseOccupied(lun: LunObservation, spec: Spec, contents: string[], otherCluster?: string): never {
  const what =
    otherCluster === undefined ? 'data that is not this cluster' : `VirtuaLinux cluster "${otherCluster}"`;
  throw new InstallRefusal(
    otherCluster === undefined ? 'foreign' : 'other-cluster',
    [`the LUN ${describeLun(lun)} holds ${what}:`, ...contents.map((line) => `  - ${line}`)].join('\n'),
    `to erase all of it and install cluster ${spec.cluster.name} there, run the install again with --wipe ${spec.cluster.name}`,
    contents,
  );
}

/** the volumes this install still has to make, and notes on those that differ from the spec */
function volumeActions(
  layout: TargetLayout,
  vg: VolumeGroupObservation | undefined,
  images: Record<string, Manifest>,
  reinstall: boolean,
  places: Places,
  notes: string[],
): Action[] {
  const actions: Action[] = [];
  for (const volume of layout.volumes) {
    const seen: Seen = vg?.logicalVolumes.find((lv) => lv.name === volume.name);
    if (seen && seen.bytes !== volume.bytes) {
      notes.push(
        `${volume.name} is ${formatSize(seen.bytes)}, the spec makes it ${formatSize(volume.bytes)}: it is left at ${formatSize(seen.bytes)}`,
      );
    }
    const action = volumeAction(layout, volume, seen, images, reinstall, places, notes);
    if (action) actions.push(action);
  }
  return actions;
}

function volumeAction(
  layout: TargetLayout,
  volume: TargetVolume,
  seen: Seen,
  images: Record<string, Manifest>,
  reinstall: boolean,
  places: Places,
  notes: string[],
): Action | undefined {
  const ready = seen?.tags.includes(READY_TAG) ?? false;
  const size = formatSize(volume.bytes);
  switch (volume.role) {
    case 'meta':
      // vl_meta keeps the cluster's journal and reports: never formatted again once made
      return ready
        ? undefined
        : filesystemVolumeAction(
            `volume:${volume.name}`,
            `create ${volume.name} (${size}, ext4): the spec, the install report`,
            layout,
            volume,
            seen,
          );
    case 'golden': {
      const manifest = images[volume.of ?? ''];
      if (!manifest) return undefined;
      const written = seen?.tags.includes(imageTag(manifest.archive.sha256)) ?? false;
      const other = seen ? tagsStartingWith(seen.tags, 'vl.image=') : [];
      if (!reinstall && !written && other.length > 0) {
        notes.push(
          `${volume.name} holds another build of image ${manifest.name} (${other.join(', ')}); the DVD carries ${manifest.archive.sha256}: upgrading an image is not part of the install, it is left as it is`,
        );
        return undefined;
      }
      return written && !reinstall ? undefined : goldenImageAction(layout, volume, manifest, seen, places);
    }
    case 'blade':
      return ready && !reinstall
        ? undefined
        : filesystemVolumeAction(
            `blade:${volume.of}`,
            `${seen ? 'format' : 'create'} blade ${volume.of}'s writable layer ${volume.name} (${size}, ext4, tagged ${volume.tags.join(', ')})`,
            layout,
            volume,
            seen,
          );
    case 'shared':
      // shared data (/home) outlives a reinstall, as it outlives a factory reset
      return ready
        ? undefined
        : filesystemVolumeAction(
            `shared:${volume.of}`,
            `create shared volume ${volume.name} (${size}, ext4)`,
            layout,
            volume,
            seen,
          );
  }
}

function refuseNoRoom(layout: TargetLayout, vg: VolumeGroupObservation): void {
  const missing = layout.volumes.filter((v) => !vg.logicalVolumes.some((lv) => lv.name === v.name));
  const need = missing.reduce((sum, v) => sum + v.bytes, 0);
  if (need <= vg.freeBytes) return;
  throw new InstallRefusal(
    'too-small',
    `the volume group ${vg.name} has ${formatSize(vg.freeBytes)} free, but the volumes still to create need ${formatSize(need)}: ${missing.map((v) => `${v.name} ${formatSize(v.bytes)}`).join(', ')}`,
    'grow the LUN and then the physical volume (pvresize), or make the missing volumes smaller in the spec',
  );
}

function sharedVgAllowed(
  vg: VolumeGroupObservation | undefined,
  sharedVg: boolean,
  notes: string[],
): boolean {
  if (!vg) {
    if (!sharedVg) {
      notes.push(
        'lvmlockd and sanlock are not in use here: the volume group is made local; once they run on the blades, vgchange --locktype sanlock makes it shared',
      );
    }
    return sharedVg;
  }
  if (vg.lockType && !sharedVg) {
    throw new InstallRefusal(
      'shared-vg-unavailable',
      `the volume group ${vg.name} is shared (${vg.lockType}), but lvmlockd and sanlock do not run here`,
      'start them (systemctl start sanlock lvmlockd) and run the install again',
    );
  }
  if (!vg.lockType && sharedVg) {
    notes.push(
      `the volume group ${vg.name} is local (it was made where lvmlockd did not run): vgchange --locktype sanlock ${vg.name} makes it shared`,
    );
  }
  return vg.lockType !== undefined;
}

export function planInstall(spec: Spec, lun: LunObservation, options: InstallOptions): InstallPlan {
  const places: Places = {
    medium: options.medium ?? defaultPlaces.medium,
    workDir: options.workDir ?? defaultPlaces.workDir,
  };
  if (options.wipe !== undefined && options.wipe !== spec.cluster.name) {
    throw new InstallRefusal(
      'wipe-mismatch',
      `--wipe names cluster "${options.wipe}", but the spec installs cluster "${spec.cluster.name}"`,
      `give the spec's cluster name: --wipe ${spec.cluster.name}`,
    );
  }
  const wipe = options.wipe !== undefined;
  const notes: string[] = [];

  let layout = targetLayout(spec, options.images, { sharedVg: options.sharedVg });
  const owner = classifyLun(layout, lun);
  const contents = owner.kind === 'fresh' ? [] : describeContents(lun);
  refuseTooSmall(lun, layout);
  if (!wipe && owner.kind === 'foreign') refuseOccupied(lun, spec, contents);
  if (!wipe && owner.kind === 'other-cluster') refuseOccupied(lun, spec, contents, owner.cluster);

  const ours = !wipe && owner.kind === 'this-cluster';
  const vg = ours ? owner.vg : undefined;
  const sharedVg = sharedVgAllowed(vg, options.sharedVg, notes);
  if (sharedVg !== layout.sharedVg) layout = targetLayout(spec, options.images, { sharedVg });
  if (vg) refuseNoRoom(layout, vg);
  for (const image of layout.imagesLeftOut) {
    notes.push(
      `image ${image} is in the spec but not on this DVD: its golden volume ${goldenVolume(image)} is not created (a DVD that carries it can add it later: run the install again from it)`,
    );
  }
  if (spec.san.size !== undefined && spec.san.size !== lun.bytes) {
    notes.push(
      `the spec gives the LUN as ${formatSize(spec.san.size)}; ${lun.device} is ${formatSize(lun.bytes)}`,
    );
  }

  const seen = ours ? inPlace(lun, vg) : NOTHING;
  const partition = (n: number) =>
    (seen.partitioned && lun.partitions.find((p) => p.number === n)?.device) ||
    partitionDevice(lun.device, n);
  const bootPartition = partition(2);
  const lvmPartition = partition(3);
  if (ours) {
    const boot = lun.partitions.find((p) => p.number === 2);
    const want = layout.partitions.find((p) => p.role === 'vlboot')?.bytes ?? 0;
    if (boot && boot.bytes !== want) {
      notes.push(
        `${BOOT_LABEL} is ${formatSize(boot.bytes)}, the spec makes it ${formatSize(want)}: it is left at ${formatSize(boot.bytes)}`,
      );
    }
  }

  const reinstall = ours && options.reinstall === true;
  const lunActions: Action[] = [
    ...(wipe && owner.kind !== 'fresh' ? [wipeAction(lun, contents, places.workDir)] : []),
    ...(!(wipe && owner.kind !== 'fresh') && strayMappings(lun).length > 0 ? [releaseAction(lun)] : []),
    ...(seen.partitioned ? [] : [partitionAction(lun.device, layout)]),
    ...(seen.bootFormatted ? [] : [formatBootAction(bootPartition, layout.need.boot, layout.cluster)]),
    ...(seen.physicalVolume ? [] : [createPvAction(lvmPartition)]),
    ...(seen.vg ? [] : [createVgAction(layout, lvmPartition)]),
  ];

  const boot = bootContent(spec, options.images, options.runtime);
  const bootWritten = (seen.vg?.tags ?? []).includes(bootTag(boot.hash)) && !reinstall;
  if (!bootWritten && !options.runtime) {
    notes.push(
      "the installer does not run from the DVD's live system: VLBOOT gets no Node and installer, and the blades no virtualinux command",
    );
  }
  const meta = metaContent(spec, layout, options.images);
  const metaSeen = seen.vg?.logicalVolumes.find((lv) => lv.name === META_VOLUME);
  const vgTags = seen.vg?.tags ?? [];
  const lvmActions: Action[] = [
    ...volumeActions(layout, seen.vg, options.images, reinstall, places, notes),
    ...(bootWritten
      ? []
      : [
          bootContentAction(
            layout,
            lun.device,
            bootPartition,
            boot,
            tagsStartingWith(vgTags, 'vl.boot='),
            places,
          ),
        ]),
    ...(metaSeen?.tags.includes(metaTag(meta.hash)) && !reinstall
      ? []
      : [metaContentAction(layout, meta, metaSeen, places)]),
  ];
  // a shared VG made in an earlier run: this host joins its lockspace before changing anything in it
  const locks = seen.vg?.lockType && lvmActions.length > 0 ? [lockStartAction(seen.vg.name)] : [];

  const actions = [...lunActions, ...locks, ...lvmActions];
  const verdict: LunVerdict =
    owner.kind === 'fresh' && !ours
      ? 'fresh'
      : !ours
        ? 'wiped'
        : reinstall
          ? 'reinstall'
          : actions.length === 0
            ? 'complete'
            : 'partial';
  return {
    title: `install cluster ${spec.cluster.name} on ${describeLun(lun)}`,
    actions,
    verdict,
    contents,
    layout,
    notes,
  };
}
