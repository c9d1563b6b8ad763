/**
 * `virtualinux drift` and `virtualinux reset` on a machine that reaches the SAN the way the
 * installer does (the DVD's live system: sif up, iSCSI login with the spec's CHAP): observe the
 * LUN, ask multi-mount protection who holds each blade's layer, read each layer's drift, plan
 * (reset.ts), show what will be discarded, ask, apply. Volumes are activated here only while they
 * are read or written, and deactivated after.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import type { EventSink } from '../../core/exec/events.ts';
import { CommandFailed } from '../../core/exec/failure.ts';
import type { Runner } from '../../core/exec/runner.ts';
import { formatBytes } from '../../core/exec/units.ts';
import { takeLock } from '../../core/pid-lock.ts';
import { applyPlan } from '../../core/plan/apply.ts';
import type { PlanEvent } from '../../core/plan/events.ts';
import { Journal } from '../../core/plan/journal.ts';
import { type Blade, bladeVolume, goldenVolume, META_VOLUME, volumeGroup } from '../../core/spec/derive.ts';
import type { Spec } from '../../core/spec/schema.ts';
import { describeLun } from '../engine/classify.ts';
import {
  activate,
  appendFile,
  deactivate,
  lvPath,
  mkdir,
  mmpInfo,
  mount,
  mountReadOnly,
  umount,
  umountIfMounted,
} from '../engine/commands.ts';
import { DEFAULT_MEDIUM, readImageManifests } from '../engine/install.ts';
import type { LunObservation } from '../engine/observation.ts';
import { observeLun } from '../engine/observe.ts';
import { bringUpSif, type ChapSecrets, currentSession, disconnectSan, loginSan } from '../engine/san.ts';
import { type DriftEntry, driftOf, opaqueDirsCommand, parseOpaqueDirs, summariseDrift } from './drift.ts';
import { layerHolder, parseMmpInfo } from './holders.ts';
import { keptPaths, type LayerHolder, planReset, type ResetPlan, selectedBlades } from './reset.ts';
import { type ImageVerdict, runAround, verifyGoldenVolumes } from './verify.ts';

export const RECOVERY_WORK_DIR = '/run/virtualinux/recovery';

export interface SanAccess {
  spec: Spec;
  runner: Runner;
  say: (line: string) => void;
  chap?: ChapSecrets;
  sifAddress?: string;
}

/** sif up, logged in, the LUN observed; `use` runs with it, and a session it opened is closed after */
async function withLun<T>(
  access: SanAccess,
  use: (lun: LunObservation, where: string) => Promise<T>,
): Promise<T> {
  const { spec, runner, say } = access;
  // a running blade is logged in already (its root): its network and session are left as they are
  let session = await currentSession(spec, runner, say);
  if (!session) {
    await bringUpSif({ spec, runner, say, ...(access.sifAddress && { address: access.sifAddress }) });
    session = await loginSan({ spec, runner, say, ...(access.chap && { chap: access.chap }) });
  }
  try {
    const lun = await observeLun(session.device, runner);
    return await use(lun, `${describeLun(lun)} (${session.byPath})`);
  } finally {
    if (session.opened) await disconnectSan(session, runner).catch(() => undefined);
  }
}

/** who holds a blade's layer (MMP), the layer activated for the check only */
export async function readHolder(spec: Spec, blade: Blade, runner: Runner): Promise<LayerHolder> {
  const vg = volumeGroup(spec);
  const layer = bladeVolume(blade);
  return runAround(runner, [activate(vg, layer)], () => layerHolder(lvPath(vg, layer), runner), [
    deactivate(vg, layer),
  ]);
}

/** readHolder, saying so first: MMP's wait makes it take a few seconds */
function watchHolder(spec: Spec, blade: Blade, runner: Runner, say: (line: string) => void) {
  say(`${blade.name}: is its layer in use? (multi-mount protection watches it for a few seconds)`);
  return readHolder(spec, blade, runner);
}

/** what a blade changed: its layer and the golden image mounted read-only (no journal replay, no MMP) */
export async function readDrift(
  spec: Spec,
  blade: Blade,
  runner: Runner,
  workDir: string,
): Promise<DriftEntry[]> {
  const vg = volumeGroup(spec);
  const layer = bladeVolume(blade);
  const image = goldenVolume(spec.images.node);
  const lower = join(workDir, blade.name, 'image');
  const upper = join(workDir, blade.name, 'layer');
  return runAround(
    runner,
    [
      mkdir(lower, upper),
      umountIfMounted(lower),
      umountIfMounted(upper),
      activate(vg, image),
      activate(vg, layer),
      mountReadOnly(lvPath(vg, image), lower, 'ext4'),
      mountReadOnly(lvPath(vg, layer), upper, 'ext4'),
    ],
    async () => {
      const root = join(upper, 'root');
      // a layer its blade has not booted from since it was made has no upper directory: factory state
      if (!existsSync(root)) return [];
      const opaque = parseOpaqueDirs((await runner.run(opaqueDirsCommand(root))).stdout, root);
      return driftOf(root, lower, opaque);
    },
    [umountIfMounted(upper), umountIfMounted(lower), deactivate(vg, layer), deactivate(vg, image)],
  );
}

/**
 * The drift of each blade's layer, except those multi-mount protection shows in use (`unread`):
 * ext4 that another machine writes cannot be read consistently from here; a read-only mount of it
 * meets half-written metadata ("Bad message"), and so does anything copied from it.
 */
export async function readDrifts(
  spec: Spec,
  blades: Blade[],
  holders: Record<string, LayerHolder>,
  runner: Runner,
  workDir: string,
): Promise<{ drifts: Record<string, DriftEntry[]>; unread: string[] }> {
  const drifts: Record<string, DriftEntry[]> = {};
  const unread: string[] = [];
  for (const blade of blades) {
    if (holders[bladeVolume(blade)]?.held) unread.push(blade.name);
    else drifts[blade.name] = await readDrift(spec, blade, runner, workDir);
  }
  return { drifts, unread };
}

/** "12 added (3.4 MiB), 2 changed (1.0 KiB), 1 deleted": one line of what a layer holds */
export function describeDrift(entries: DriftEntry[]): string {
  if (entries.length === 0) return 'nothing: it is in factory state';
  const summary = summariseDrift(entries);
  return (['added', 'changed', 'deleted', 'replaced'] as const)
    .filter((change) => summary.byChange[change].entries > 0)
    .map((change) => {
      const { entries: count, bytes } = summary.byChange[change];
      return `${count} ${change}${bytes > 0 ? ` (${formatBytes(bytes)})` : ''}`;
    })
    .join(', ');
}

const DRIFT_LINES = 20;

/** in a shortened listing, the rarer changes first: one deleted file says more than the 200th added one */
const SHOWN_FIRST: readonly DriftEntry['change'][] = ['deleted', 'replaced', 'changed', 'added'];

/**
 * The drift of a blade, as lines: the summary, then the entries in path order; when there are more
 * than `limit`, the first `limit` of them by change (deleted, replaced, changed, added), each in
 * path order, and how many more.
 */
export function formatDrift(blade: string, entries: DriftEntry[], limit = DRIFT_LINES): string[] {
  const lines = [`${blade}: ${describeDrift(entries)}`];
  const shown =
    entries.length > limit
      ? SHOWN_FIRST.flatMap((change) => entries.filter((entry) => entry.change === change)).slice(0, limit)
      : entries;
  for (const entry of shown) {
    lines.push(`  ${entry.change.padEnd(8)} ${entry.kind.padEnd(9)} ${entry.path}`);
  }
  if (entries.length > limit)
    lines.push(`  ... and ${entries.length - limit} more (virtualinux drift ${blade} lists all)`);
  return lines;
}

export async function drift(access: SanAccess & { node: string; workDir?: string }): Promise<DriftEntry[]> {
  const [blade] = selectedBlades(access.spec, [access.node], false);
  if (!blade) throw new Error(`no blade ${access.node}`);
  const workDir = access.workDir ?? RECOVERY_WORK_DIR;
  return withLun(access, async (lun) => {
    // refusals (not installed, no such blade) come from the planner, as for a reset
    planReset(access.spec, lun, [blade.name], {});
    const layer = bladeVolume(blade);
    if (!lun.volumeGroups.some((vg) => vg.logicalVolumes.some((lv) => lv.name === layer)))
      throw new UserError(`${blade.name} has no layer (${layer}): nothing to compare`, 'a reset makes one');
    const holder = await watchHolder(access.spec, blade, access.runner, access.say);
    if (holder.held) {
      throw new UserError(
        `${blade.name} is running: its layer ${layer} is mounted${holder.by ? ` by ${holder.by}` : ''}, and a filesystem another machine writes cannot be read consistently from here`,
        'power the blade off first: its layer is then free, and read as it was left',
      );
    }
    return readDrift(access.spec, blade, access.runner, workDir);
  });
}

/** vl_meta's record of the resets: when, from which machine, which blades, what was kept */
export const RESET_LOG = 'resets.log';

export function resetLogLine(
  plan: ResetPlan,
  keep: Record<string, string[]>,
  host: string,
  at: Date,
): string {
  const blades = plan.blades.map((b) => {
    const kept = keep[b.name] ?? [];
    return kept.length > 0 ? `${b.name} (kept ${kept.join(' ')})` : b.name;
  });
  return `${at.toISOString()} ${host} reset ${blades.join(', ')}\n`;
}

/**
 * One reset at a time in the cluster, whichever machines run them (the DVD, any blade): vl_meta
 * is mounted read-write here while `body` runs, and ext4's multi-mount protection refuses a
 * second machine's mount of it. The kernel's MMP wait makes taking it a few seconds.
 */
export async function withClusterLock<T>(
  spec: Spec,
  runner: Runner,
  workDir: string,
  body: (meta: string) => Promise<T>,
): Promise<T> {
  const vg = volumeGroup(spec);
  const device = lvPath(vg, META_VOLUME);
  const directory = join(workDir, META_VOLUME);
  return runAround(
    runner,
    [activate(vg, META_VOLUME), mkdir(directory), umountIfMounted(directory)],
    async () => {
      try {
        await runner.run(mount(device, directory, 'ext4'));
      } catch (error) {
        if (!(error instanceof CommandFailed)) throw error;
        const last = parseMmpInfo((await runner.run(mmpInfo(device)).catch(() => ({ stdout: '' }))).stdout);
        throw new UserError(
          `${META_VOLUME} cannot be mounted here${last.nodeName ? ` (its multi-mount protection names ${last.nodeName})` : ''}: a reset or an install runs on another machine, and one runs at a time in the cluster`,
          'wait for it to end, then run the reset again',
        );
      }
      try {
        return await body(directory);
      } finally {
        await runner.run(umount(directory)).catch(() => undefined);
      }
    },
    [deactivate(vg, META_VOLUME)],
  );
}

export interface ResetRequest extends SanAccess {
  names: string[];
  all: boolean;
  keepData: boolean;
  force: boolean;
  dryRun: boolean;
  yes: boolean;
  dryRunner: Runner;
  events?: EventSink<PlanEvent>;
  workDir?: string;
  /** asks the administrator; undefined when nobody can answer (no terminal) */
  ask?: (question: string) => Promise<string>;
}

export interface ResetResult {
  plan: ResetPlan;
  lun: string;
  ran: string[];
  dryRun: boolean;
  /** what each blade's layer held before the reset */
  drift: Record<string, DriftEntry[]>;
}

export async function reset(request: ResetRequest): Promise<ResetResult> {
  const { spec, runner, say } = request;
  const workDir = request.workDir ?? RECOVERY_WORK_DIR;
  // a blade the spec does not have is refused before the network, the SAN or this machine's
  // files are touched
  selectedBlades(spec, request.names, request.all);
  // one reset at a time on this machine (a lock file), and in the cluster (withClusterLock, around
  // the changes)
  mkdirSync(workDir, { recursive: true });
  const release = takeLock(join(workDir, 'reset.lock'), 'a reset');
  try {
    return await withLun(request, async (lun, where) => {
      const options = { all: request.all, workDir };
      // first without holders: the blades it names, or why it is refused
      const blades = planReset(spec, lun, request.names, {}, options).blades;
      const layers = new Set(lun.volumeGroups.flatMap((vg) => vg.logicalVolumes.map((lv) => lv.name)));
      const present: Blade[] = [];
      const holders: Record<string, LayerHolder> = {};
      for (const planned of blades) {
        const [blade] = selectedBlades(spec, [planned.name], false);
        if (!blade || !layers.has(planned.layer)) continue;
        holders[planned.layer] = await watchHolder(spec, blade, runner, say);
        present.push(blade);
      }
      // a running blade is refused before its layer is read (readDrifts)
      planReset(spec, lun, request.names, holders, { ...options, force: request.force });
      const { drifts, unread } = await readDrifts(spec, present, holders, runner, workDir);
      if (request.keepData && unread.length > 0) {
        throw new UserError(
          `--keep-data cannot copy from the layer of ${unread.join(', ')}: multi-mount protection shows it in use, and a filesystem another machine may be writing cannot be copied from here`,
          'power the blade off first, or reset it without --keep-data',
        );
      }
      const keep: Record<string, string[]> = {};
      if (request.keepData) {
        for (const [name, entries] of Object.entries(drifts))
          keep[name] = keptPaths(spec.storage.persistent, entries);
      }
      const plan = planReset(spec, lun, request.names, holders, { ...options, force: request.force, keep });

      say(`${plan.title}, on ${where}`);
      say('what the reset discards, by blade (the changes each made since its factory state):');
      for (const planned of plan.blades) {
        const entries = drifts[planned.name];
        if (entries) for (const line of formatDrift(planned.name, entries)) say(line);
        else if (unread.includes(planned.name))
          say(`${planned.name}: not read: its layer is in use (--force)`);
        else say(`${planned.name}: it has no layer`);
        const kept = keep[planned.name] ?? [];
        if (kept.length > 0) say(`  kept (--keep-data): ${kept.join(' ')}`);
      }
      for (const note of plan.notes) say(`note: ${note}`);
      for (const action of plan.actions) say(`- ${action.description}`);
      if (request.dryRun) {
        await applyPlan(plan, {
          runner: request.dryRunner,
          journal: await Journal.open('/dev/null'),
          ...(request.events && { events: request.events }),
        });
        return { plan, lun: where, ran: [], dryRun: true, drift: drifts };
      }
      await consent(request, plan);
      return withClusterLock(spec, runner, workDir, async (meta) => {
        // the VG's names are the journal (reset.ts): a rerun plans what is left, so the action
        // journal starts empty on every run (a file: applyPlan syncs it after each action)
        const journalFile = join(workDir, 'reset.journal');
        rmSync(journalFile, { force: true });
        const outcome = await applyPlan(plan, {
          runner,
          journal: await Journal.open(journalFile),
          ...(request.events && { events: request.events }),
        });
        if (outcome.ran.length > 0) {
          await runner.run(
            appendFile(join(meta, RESET_LOG), resetLogLine(plan, keep, hostname(), new Date())),
          );
        }
        return { plan, lun: where, ran: outcome.ran, dryRun: false, drift: drifts };
      });
    });
  } finally {
    release();
  }
}

/** --yes, or the blades' names typed on the terminal: their changes are discarded */
async function consent(request: ResetRequest, plan: ResetPlan): Promise<void> {
  if (request.yes) return;
  const word = plan.blades.map((b) => b.name).join(' ');
  if (!request.ask) {
    throw new UserError(
      'the reset needs your consent, and there is no terminal to ask on',
      'read what it discards above (--dry-run shows every command), then run again with --yes',
    );
  }
  const answer = await request.ask(`This DISCARDS the changes listed above. Type ${word} to go on: `);
  if (answer.trim().replace(/\s+/g, ' ') !== word) throw new UserError('not confirmed: nothing was changed');
}

/** `virtualinux verify`: the cluster's golden volumes against this DVD's images */
export async function verify(
  access: SanAccess & { medium?: string; only?: string[]; workDir?: string },
): Promise<ImageVerdict[]> {
  const medium = access.medium ?? DEFAULT_MEDIUM;
  const manifests = readImageManifests(medium);
  const workDir = access.workDir ?? RECOVERY_WORK_DIR;
  return withLun(access, (lun) =>
    verifyGoldenVolumes(access.spec, lun, manifests, {
      runner: access.runner,
      medium,
      workDir,
      say: access.say,
      ...(access.only && { only: access.only }),
    }),
  );
}

/** one line per image, and the first differences of a damaged one */
export function formatVerdicts(verdicts: ImageVerdict[], limit = DRIFT_LINES): string[] {
  const lines: string[] = [];
  for (const verdict of verdicts) {
    const volume = goldenVolume(verdict.image);
    if (verdict.status === 'intact') lines.push(`${volume}: intact, every file as in image ${verdict.image}`);
    else if (verdict.status === 'differs') {
      lines.push(`${volume}: DIFFERS from image ${verdict.image} in ${verdict.differences.length} files`);
      for (const d of verdict.differences.slice(0, limit)) lines.push(`  ${d.path}: ${d.problem}`);
      if (verdict.differences.length > limit)
        lines.push(`  ... and ${verdict.differences.length - limit} more`);
    } else lines.push(`${volume}: not verified: ${verdict.detail}`);
  }
  if (verdicts.length === 0) lines.push('no golden volume to verify');
  return lines;
}
