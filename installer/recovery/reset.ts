/**
 * Factory reset of blades (ARCHITECTURE §3): a blade's root is overlayfs(img_node, node_<name>), so
 * its factory state is an empty layer. The reset makes that layer beside the old one
 * (node_<name>_new: lvcreate, ext4 with multi-mount protection, the spec's persistent paths copied
 * over with --keep-data) and then puts it in place with two renames and removes the old one. Time
 * is that of one small volume, whatever the image's size; no other volume is touched.
 *
 * Crash safety comes from the names themselves, which are the journal: every rename is one LVM
 * metadata commit, so after a crash the VG shows which step was reached and the same command
 * plans only what is left — the blade has its old layer or its new one, never a half-made one
 * (the new layer is only renamed into place once it is marked vl.ready).
 *
 * Pure: observations in, a plan out. Nothing here runs a command.
 */
import { UserError } from '../../core/errors.ts';
import type { Command } from '../../core/exec/command.ts';
import type { Action, Plan } from '../../core/plan/plan.ts';
import { type Blade, bladeVolume, expandBlades, volumeGroup } from '../../core/spec/derive.ts';
import type { Spec } from '../../core/spec/schema.ts';
import { formatSize } from '../../core/spec/size.ts';
import { closest } from '../../core/yaml/did-you-mean.ts';
import { READY_TAG } from '../engine/actions.ts';
import { describeContents, describeLun } from '../engine/classify.ts';
import {
  activate,
  deactivate,
  lvchange,
  lvcreate,
  lvPath,
  lvremove,
  lvrename,
  mkdir,
  mkfsExt4,
  mount,
  mountReadOnly,
  umount,
  umountIfMounted,
} from '../engine/commands.ts';
import { alignUp, clusterTag, EXTENT_BYTES, ext4Label, VIRTUALINUX_TAG } from '../engine/layout.ts';
import type {
  LogicalVolumeObservation,
  LunObservation,
  VolumeGroupObservation,
} from '../engine/observation.ts';

export type ResetRefusalReason = 'not-installed' | 'unknown-blade' | 'no-blade' | 'running';

export class ResetRefusal extends UserError {
  constructor(
    readonly reason: ResetRefusalReason,
    message: string,
    hint?: string,
  ) {
    super(message, hint);
  }
}

/** a blade's layer as multi-mount protection tells it: free, or held by a machine (its MMP node name) */
export type LayerHolder = { held: false } | { held: true; by?: string };

export interface ResetOptions {
  /** every blade of the spec */
  all?: boolean;
  /** reset a blade whose layer MMP shows in use: the administrator says the holder is dead */
  force?: boolean;
  /**
   * by blade: paths (absolute, in the blade's root) copied from the old layer into the new one —
   * those of the spec's persistent paths that the old layer holds (keptPaths, from the drift report)
   */
  keep?: Record<string, string[]>;
  /** where volumes are mounted while persistent paths are copied */
  workDir?: string;
}

export interface ResetPlan extends Plan {
  vg: string;
  blades: Array<{
    name: string;
    layer: string;
    bytes: number;
    /** what a run before this one left: the plan finishes its work */
    resuming: boolean;
  }>;
  /** said before confirmation: what the reset discards */
  notes: string[];
}

export const NEW_SUFFIX = '_new';
export const OLD_SUFFIX = '_old';
const DEFAULT_WORK_DIR = '/run/virtualinux/reset';

/** the names a reset uses for a blade's layer, the one being made and the one being replaced */
export const layerNames = (blade: Pick<Blade, 'name'>) => {
  const layer = bladeVolume(blade);
  return { layer, fresh: `${layer}${NEW_SUFFIX}`, old: `${layer}${OLD_SUFFIX}` };
};

/**
 * Of the spec's persistent paths, those a blade's layer holds something of (from its drift): what a
 * reset with --keep-data copies. A path the blade never touched is the image's, and stays so.
 */
export function keptPaths(persistent: string[], drift: Array<{ path: string }>): string[] {
  return persistent.filter((path) =>
    drift.some((entry) => entry.path === path || entry.path.startsWith(`${path}/`)),
  );
}

/** the cluster's VG on the LUN, or a refusal that says what is there instead */
export function clusterVg(spec: Spec, lun: LunObservation): VolumeGroupObservation {
  const name = volumeGroup(spec);
  const vg = lun.volumeGroups.find(
    (candidate) =>
      candidate.name === name &&
      candidate.tags.includes(VIRTUALINUX_TAG) &&
      candidate.tags.includes(clusterTag(spec.cluster.name)),
  );
  if (vg) return vg;
  const contents = describeContents(lun);
  throw new ResetRefusal(
    'not-installed',
    [
      `cluster ${spec.cluster.name} is not installed on the LUN ${describeLun(lun)}: no volume group ${name} tagged for it`,
      ...(contents.length > 0
        ? ['the LUN holds:', ...contents.map((line) => `  - ${line}`)]
        : ['the LUN is empty']),
    ].join('\n'),
    "install the cluster first (the DVD's Install entry), or give the spec of the cluster this LUN holds",
  );
}

/** the blades named (every one with `all`), or a refusal naming the unknown with a did-you-mean */
export function selectedBlades(spec: Spec, names: string[], all: boolean): Blade[] {
  const blades = expandBlades(spec);
  if (all) return blades;
  if (names.length === 0) {
    throw new ResetRefusal(
      'no-blade',
      'no blade to reset',
      `name one or more (${blades.map((b) => b.name).join(', ')}), or --all for every blade`,
    );
  }
  const known = blades.map((b) => b.name);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    const [first] = unknown;
    const guess = first === undefined ? undefined : closest(first, known);
    throw new ResetRefusal(
      'unknown-blade',
      `cluster ${spec.cluster.name} has no blade ${unknown.join(', ')}`,
      `${guess ? `did you mean ${guess}? ` : ''}its blades: ${known.join(', ')}`,
    );
  }
  return blades.filter((blade) => names.includes(blade.name));
}

const action = (id: string, description: string, commands: Command[], inputs?: unknown): Action => ({
  id,
  description,
  commands,
  ...(inputs !== undefined && { inputs }),
});

/** the new layer: made (or made again, when a crash left it unfinished), persistent paths copied, marked ready */
function makeLayer(
  vg: string,
  blade: Blade,
  bytes: number,
  seen: { layer?: LogicalVolumeObservation; fresh?: LogicalVolumeObservation },
  keep: string[],
  workDir: string,
): Action {
  const { layer, fresh } = layerNames(blade);
  const from = `${workDir}/${blade.name}/old`;
  const to = `${workDir}/${blade.name}/new`;
  const copying = keep.length > 0 && seen.layer !== undefined;
  return action(
    `reset:${blade.name}:make`,
    `make a factory layer for ${blade.name}: ${fresh}, ${formatSize(bytes)}, empty ext4${copying ? `, with ${keep.join(' ')} from the old layer` : ''}`,
    [
      ...(seen.fresh ? [] : [lvcreate(vg, fresh, bytes, [blade.name])]),
      activate(vg, fresh),
      mkfsExt4(lvPath(vg, fresh), ext4Label(blade.name), { mmp: true }),
      ...(copying
        ? [
            mkdir(from, to),
            umountIfMounted(from),
            umountIfMounted(to),
            activate(vg, layer),
            mountReadOnly(lvPath(vg, layer), from, 'ext4'),
            mount(lvPath(vg, fresh), to, 'ext4'),
            mkdir(`${to}/root`),
            ...keep.map(
              (path): Command => ({
                tool: 'cp',
                // --parents keeps the path under root/; -a keeps owners, modes, links, and the
                // whiteouts that record what the blade deleted from the image
                args: ['-a', '--parents', '--', `.${path}`, `${to}/root/`],
                cwd: `${from}/root`,
              }),
            ),
            umount(to),
            umount(from),
            deactivate(vg, layer),
          ]
        : []),
      deactivate(vg, fresh),
      lvchange(vg, fresh, { addTags: [READY_TAG] }),
    ],
    { bytes, keep },
  );
}

/** the renames that put the new layer in place, and the old layer's removal: only what is left */
function swapLayer(
  vg: string,
  blade: Blade,
  seen: {
    layer?: LogicalVolumeObservation;
    fresh?: LogicalVolumeObservation;
    old?: LogicalVolumeObservation | undefined;
  },
  makingFresh: boolean,
): Action | undefined {
  const { layer, fresh, old } = layerNames(blade);
  const freshComing = makingFresh || seen.fresh !== undefined;
  const commands: Command[] = [
    // the current layer steps aside only when a new one is ready to take its name
    ...(seen.layer && freshComing ? [lvrename(vg, layer, old)] : []),
    ...(freshComing ? [lvrename(vg, fresh, layer)] : []),
    ...(seen.old || (seen.layer && freshComing) ? [lvremove(vg, old)] : []),
  ];
  if (commands.length === 0) return undefined;
  return action(
    `reset:${blade.name}:swap`,
    `put the factory layer in place as ${layer}${seen.layer || seen.old ? '; the old layer is removed' : ''}`,
    commands,
  );
}

/**
 * The reset of `names` (or every blade with options.all) on the observed LUN. `holders` is what
 * multi-mount protection says of each blade's current layer (by LV name; absent: not checked).
 */
export function planReset(
  spec: Spec,
  lun: LunObservation,
  names: string[],
  holders: Record<string, LayerHolder>,
  options: ResetOptions = {},
): ResetPlan {
  const vg = clusterVg(spec, lun);
  const blades = selectedBlades(spec, names, options.all === true);
  const bytes = alignUp(spec.storage.bladeLayer, EXTENT_BYTES);
  const workDir = options.workDir ?? DEFAULT_WORK_DIR;
  const volume = (name: string) => vg.logicalVolumes.find((lv) => lv.name === name);

  const running = blades.filter((blade) => holders[layerNames(blade).layer]?.held === true);
  if (running.length > 0 && !options.force) {
    const who = running.map((blade) => {
      const holder = holders[layerNames(blade).layer];
      const by = holder?.held ? holder.by : undefined;
      return `${blade.name} (${layerNames(blade).layer} is mounted${by ? ` by ${by}` : ''})`;
    });
    throw new ResetRefusal(
      'running',
      `${running.length === 1 ? 'a blade to reset is' : 'blades to reset are'} running: ${who.join(', ')}; a reset would pull the root from under ${running.length === 1 ? 'it' : 'them'}`,
      'power the blade off first (its layer is then free); --force resets it anyway, for a blade that is dead but whose layer multi-mount protection still shows in use: if it is alive, it loses its root',
    );
  }

  const notes: string[] = [];
  const actions: Action[] = [];
  const planned: ResetPlan['blades'] = [];
  for (const blade of blades) {
    const names = layerNames(blade);
    const seen = {
      ...(volume(names.layer) && { layer: volume(names.layer) }),
      ...(volume(names.fresh) && { fresh: volume(names.fresh) }),
      ...(volume(names.old) && { old: volume(names.old) }),
    };
    const freshReady = seen.fresh?.tags.includes(READY_TAG) === true;
    const resuming = seen.fresh !== undefined || seen.old !== undefined;
    // the old layer without a new one: a reset before this one had put its layer in place and was
    // removing the old one; the blade may have run since, so this reset starts after that cleanup
    const leftOver = seen.old !== undefined && seen.fresh === undefined;
    const cleanup = leftOver
      ? [
          action(
            `reset:${blade.name}:finish`,
            `remove ${names.old}, the layer an earlier reset of ${blade.name} replaced`,
            [lvremove(vg.name, names.old)],
          ),
        ]
      : [];
    const current = leftOver ? { ...seen, old: undefined } : seen;
    const keep = options.keep?.[blade.name] ?? [];
    const make = freshReady ? [] : [makeLayer(vg.name, blade, bytes, current, keep, workDir)];
    const swap = swapLayer(vg.name, blade, current, make.length > 0);
    actions.push(...cleanup, ...make, ...(swap ? [swap] : []));
    planned.push({ name: blade.name, layer: names.layer, bytes, resuming });
    if (resuming) notes.push(`${blade.name}: a reset before this one stopped half-way; this one finishes it`);
    if (!seen.layer && !seen.fresh && !seen.old) notes.push(`${blade.name} had no layer: one is made`);
    if (running.includes(blade))
      notes.push(`${blade.name}: reset with --force although its layer shows in use`);
  }
  return {
    title: `reset ${blades.map((b) => b.name).join(', ')} of cluster ${spec.cluster.name} to factory state`,
    vg: vg.name,
    blades: planned,
    actions,
    notes,
  };
}
