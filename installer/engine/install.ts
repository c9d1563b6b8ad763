/**
 * The install, start to end: the DVD's images, the storage interface, the SAN login, the LUN
 * observed, the plan (planInstall, pure), the administrator's consent, then the plan applied
 * through the exec layer and its journal. An interrupted install is completed by the same
 * command: the planner sees what the LUN already holds (LVM tags mark finished work) and plans
 * only the rest. The TUI (a later issue) drives this same function.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../core/errors.ts';
import type { EventBus, ExecEvent } from '../../core/exec/events.ts';
import type { Runner } from '../../core/exec/runner.ts';
import { takeLock } from '../../core/pid-lock.ts';
import { applyPlan } from '../../core/plan/apply.ts';
import type { PlanEvent } from '../../core/plan/events.ts';
import { Journal } from '../../core/plan/journal.ts';
import { volumeGroup } from '../../core/spec/derive.ts';
import type { Spec } from '../../core/spec/schema.ts';
import { formatSize } from '../../core/spec/size.ts';
import { Manifest } from '../../images/manifest.ts';
import { describeLun } from './classify.ts';
import { vgDeactivate } from './commands.ts';
import { observeLun, sharedVgAvailable } from './observe.ts';
import { type InstallPlan, planInstall } from './plan.ts';
import { liveRuntime } from './runtime.ts';
import { bringUpSif, type ChapSecrets, connectSan, disconnectSan, type SanSession } from './san.ts';

export const DEFAULT_MEDIUM = '/run/live/medium';
export const DEFAULT_WORK_DIR = '/run/virtualinux/install';
/** test hook: `ACTION_ID:N` kills the installer (and the command it runs) when that action starts its Nth command */
export const FAULT_ENV = 'VIRTUALINUX_FAULT_AT';

export type InstallEvent = ExecEvent | PlanEvent;

export interface InstallRequest {
  spec: Spec;
  /** runs the observers and, unless dryRun, the plan */
  runner: Runner;
  /** shows the plan's commands instead of running them */
  dryRunner: Runner;
  dryRun: boolean;
  /** consent given on the command line (--yes) */
  yes: boolean;
  /** --wipe NAME */
  wipe?: string;
  reinstall?: boolean;
  chap?: ChapSecrets;
  /** an address for sif instead of DHCP */
  sifAddress?: string;
  medium?: string;
  workDir?: string;
  events: EventBus<InstallEvent>;
  say: (line: string) => void;
  /** asks the administrator; undefined when nobody can answer (no terminal) */
  ask?: (question: string) => Promise<string>;
  env?: NodeJS.ProcessEnv;
  /** stands in for / (tests): iSCSI's configuration, udev's device names, lvmlockd's pid files */
  root?: string;
}

export interface InstallResult {
  plan: InstallPlan;
  lun: string;
  /** action ids that ran */
  ran: string[];
  /** seconds per phase: network, san, observe, apply, finish */
  phases: Record<string, number>;
  dryRun: boolean;
}

/** the DVD's image manifests, by image name */
export function readImageManifests(medium: string): Record<string, Manifest> {
  const dir = join(medium, 'images');
  if (!existsSync(dir)) {
    throw new UserError(
      `no images at ${dir}: this is not a VirtuaLinux DVD, or it is not mounted there`,
      "run the install from the DVD's live system, or give the DVD's mount point with --medium DIR",
    );
  }
  const manifests: Record<string, Manifest> = {};
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.manifest.json'))
    .sort()) {
    const parsed = Manifest.safeParse(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    if (!parsed.success) {
      throw new UserError(
        `${join(dir, file)} is not an image manifest this version reads: ${parsed.error.issues[0]?.message}`,
        'use the installer of the DVD that carries these images',
      );
    }
    manifests[parsed.data.name] = parsed.data;
  }
  return manifests;
}

/** the plan in words: what is on the LUN, what will be done, with every size */
export function describePlan(plan: InstallPlan, lun: string): string[] {
  const lines = [`LUN ${lun}: ${verdictWords[plan.verdict]}`];
  if (plan.contents.length > 0) lines.push('  it holds:', ...plan.contents.map((c) => `    - ${c}`));
  for (const note of plan.notes) lines.push(`  note: ${note}`);
  lines.push(
    `  layout: volume group ${plan.layout.vg} (${plan.layout.sharedVg ? 'shared, lvmlockd + sanlock' : 'local'}), ${formatSize(plan.layout.need.total)} needed`,
  );
  for (const volume of plan.layout.volumes) {
    lines.push(
      `    ${volume.name.padEnd(20)} ${formatSize(volume.bytes).padStart(10)}  ${volume.role}${volume.of ? ` (${volume.of})` : ''}`,
    );
  }
  if (plan.actions.length === 0) lines.push('  nothing to do: the cluster is installed');
  else {
    lines.push(`  ${plan.actions.length} actions:`);
    lines.push(...plan.actions.map((action, i) => `    ${i + 1}. ${action.description}`));
  }
  return lines;
}

const verdictWords: Record<InstallPlan['verdict'], string> = {
  fresh: 'empty; a new install',
  wiped: 'everything on it will be ERASED, then a new install',
  partial: 'holds an interrupted install of this cluster; it will be completed',
  complete: 'holds this cluster, complete',
  reinstall:
    'holds this cluster; its images, blade layers, VLBOOT and vl_meta are written again (shared volumes kept)',
};

/** consent: --yes, or the answer typed on the terminal; erasing data takes the cluster's name */
async function consent(request: InstallRequest, plan: InstallPlan): Promise<void> {
  if (request.yes) return;
  const erase = plan.verdict === 'wiped' || plan.verdict === 'reinstall';
  const word = erase ? request.spec.cluster.name : 'yes';
  if (!request.ask) {
    throw new UserError(
      'the install needs your consent, and there is no terminal to ask on',
      'read the plan above (--dry-run shows every command), then run again with --yes',
    );
  }
  const answer = await request.ask(
    erase
      ? `This ERASES what is listed above. Type the cluster name (${word}) to go on: `
      : 'Type yes to install: ',
  );
  if (answer.trim() !== word) throw new UserError('not confirmed: nothing was written', undefined);
}

/** the fault hook: a kill in the middle of an action, as a power cut would leave it */
function armFault(request: InstallRequest): () => void {
  const spec = (request.env ?? process.env)[FAULT_ENV];
  if (!spec) return () => {};
  const [id, nth] = [spec.slice(0, spec.lastIndexOf(':')), Number(spec.slice(spec.lastIndexOf(':') + 1))];
  let current: string | undefined;
  let commands = 0;
  return request.events.on((event) => {
    if (event.type === 'action-start') {
      current = event.id;
      commands = 0;
    } else if (event.type === 'command-start' && current === id) {
      commands += 1;
      if (commands === nth) {
        request.say(
          `${FAULT_ENV}: killing the installer in action ${id}, command ${nth}: ${event.command.tool}`,
        );
        if (event.pid) process.kill(event.pid, 'SIGKILL');
        process.kill(process.pid, 'SIGKILL');
      }
    }
  });
}

export async function runInstall(request: InstallRequest): Promise<InstallResult> {
  const { spec, runner, say } = request;
  const medium = request.medium ?? DEFAULT_MEDIUM;
  const workDir = request.workDir ?? DEFAULT_WORK_DIR;
  const images = readImageManifests(medium);
  const runtime = liveRuntime();
  mkdirSync(workDir, { recursive: true });
  const release = takeLock(join(workDir, 'install.lock'), 'an install');
  const phases: Record<string, number> = {};
  let started = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = Math.round(now - started) / 1000;
    started = now;
  };
  let session: SanSession | undefined;
  let applying = false;
  try {
    await bringUpSif({ spec, runner, say, ...(request.sifAddress && { address: request.sifAddress }) });
    phase('network');
    session = await connectSan({
      spec,
      runner,
      say,
      ...(request.chap && { chap: request.chap }),
      ...(request.root !== undefined && { root: request.root }),
    });
    phase('san');
    const lun = await observeLun(session.device, runner);
    phase('observe');
    const plan = planInstall(spec, lun, {
      images,
      sharedVg: await sharedVgAvailable(runner, request.root),
      ...(request.wipe !== undefined && { wipe: request.wipe }),
      ...(request.reinstall && { reinstall: true }),
      medium,
      workDir,
      ...(runtime && { runtime }),
    });
    const where = `${describeLun(lun)} (${session.byPath})`;
    for (const line of describePlan(plan, where)) say(line);
    if (request.dryRun) {
      await applyPlan(plan, {
        runner: request.dryRunner,
        journal: await Journal.open('/dev/null'),
        events: request.events,
      });
      return { plan, lun: where, ran: [], phases, dryRun: true };
    }
    if (plan.actions.length === 0) return { plan, lun: where, ran: [], phases, dryRun: false };
    await consent(request, plan);
    // the journal speaks of this LUN's install only: a new install, a wipe or a reinstall starts it afresh
    const journalFile = join(workDir, `${spec.cluster.name}.journal`);
    if (plan.verdict !== 'partial') rmSync(journalFile, { force: true });
    const disarm = armFault(request);
    started = performance.now();
    applying = true;
    let outcome: Awaited<ReturnType<typeof applyPlan>>;
    try {
      outcome = await applyPlan(plan, {
        runner,
        journal: await Journal.open(journalFile),
        events: request.events,
      });
    } finally {
      disarm();
    }
    phase('apply');
    // nothing stays active on the installer: each blade activates what is its own
    await runner.run(vgDeactivate(volumeGroup(spec)));
    await disconnectSan(session, runner);
    session = undefined;
    phase('finish');
    return { plan, lun: where, ran: outcome.ran, phases, dryRun: false };
  } finally {
    // a refused, complete or dry-run install ends the session it opened; one that failed while
    // writing stays logged in (its volumes may still be mounted), and the rerun goes on from there.
    // A session found open is left as found: logged out under an install killed in this boot,
    // its active volumes would point at a device that is gone, and the next login gets another
    if (session?.opened && !applying) {
      await disconnectSan(session, runner).catch(() => undefined);
    }
    release();
  }
}

/** "network 1.2 s, san 3.4 s, ...": plain seconds, which bench/install.ts reads back */
export const formatPhases = (phases: Record<string, number>) =>
  Object.entries(phases)
    .map(([name, seconds]) => `${name} ${seconds.toFixed(1)} s`)
    .join(', ');
