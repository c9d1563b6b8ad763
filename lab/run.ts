/**
 * `lab run`: the whole lab in one command — SAN up, DVD install, every blade booted — with a
 * summary table and one JSON line, exit 0 only if every step held: every blade at a login prompt
 * with its own name, on the diskless root its initramfs assembled from the SAN.
 */
import { availableParallelism } from 'node:os';
import { stripVTControlCharacters } from 'node:util';
import { formatDuration } from '../core/exec/units.ts';
import { expandBlades } from '../core/spec/derive.ts';
import { labBoot, SANBOOT_FAILED } from './blades.ts';
import { type InstallOptions, labInstall } from './install.ts';
import { type LabContext, labDown, labSpec, labUp } from './lab.ts';
import type { LabVm } from './machines.ts';
import { labPaths, readState } from './state.ts';

export type StepStatus = 'ok' | 'failed' | 'not-run';

export interface Step {
  step: string;
  status: StepStatus;
  seconds: number;
  detail: string;
}

export interface RunOptions extends InstallOptions {
  specFile?: string;
  keep?: boolean;
  /** how long a blade may take from power-on to its login prompt */
  bladeTimeoutMs?: number;
  /** how many blades boot at once (default: the host's cores) */
  parallel?: number;
}

const BLADE_MS = 600_000;

/** the node kernel started by VLBOOT's GRUB prints its command line, with the cluster's root */
const KERNEL_FROM_VLBOOT = /Command line: [^\r\n]*root=vl:[^\r\n]*/;
/** the node initramfs (overlays/node scripts/vl) says what root it assembled, or why it could not */
const ROOT_ASSEMBLED = /virtualinux: (\S+): root is (overlay\([^)]*\))/;
const ROOT_FAILED = /virtualinux: (\S+) cannot assemble its root: ([^\r\n]*)/;

/**
 * How a blade's SAN boot went, from its console: the SAN boot's failure, the initramfs' failure
 * to assemble the root, or a login prompt with the blade's own name on the root it assembled.
 */
export function bladeOutcome(name: string, console: string): { status: StepStatus; detail: string } {
  const failed = new RegExp(`${SANBOOT_FAILED} (\\S*): (.*)`).exec(console);
  if (failed)
    return { status: 'failed', detail: `SAN boot failed (iPXE error ${failed[1]}): ${failed[2]?.trim()}` };
  const noRoot = ROOT_FAILED.exec(console);
  if (noRoot) return { status: 'failed', detail: `no root: ${noRoot[2]?.trim()}` };
  const root = ROOT_ASSEMBLED.exec(console);
  if (new RegExp(`^${name} login:`, 'm').test(console)) {
    return {
      status: 'ok',
      detail: `multi-user, login prompt as ${name}${root ? `, root ${root[2]}` : ''}`,
    };
  }
  if (KERNEL_FROM_VLBOOT.test(console)) {
    const units = systemdFailures(console);
    return {
      status: 'failed',
      detail: `the node kernel from VLBOOT started, no login prompt followed${units.length > 0 ? `; systemd said: ${units.join('; ')}` : ''}`,
    };
  }
  return { status: 'failed', detail: 'neither the node kernel from VLBOOT nor a SAN boot failure' };
}

/** systemd's console lines for units that failed, timed out or lost a dependency, in order, once each */
export function systemdFailures(console: string): string[] {
  const lines = console
    .split(/\r?\n|\r/)
    .map((line) => stripVTControlCharacters(line).trim())
    .filter((line) => /^\[(FAILED| TIME |DEPEND)\] /.test(line));
  return [...new Set(lines)];
}

export async function labRun(
  context: LabContext,
  options: RunOptions = {},
): Promise<{ ok: boolean; steps: Step[] }> {
  const steps: Step[] = [];
  const timed = async (step: string, work: () => Promise<{ status: StepStatus; detail: string }>) => {
    const started = performance.now();
    try {
      const result = await work();
      steps.push({ step, ...result, seconds: Math.round((performance.now() - started) / 100) / 10 });
    } catch (error) {
      steps.push({
        step,
        status: 'failed',
        detail: (error as Error).message,
        seconds: Math.round((performance.now() - started) / 100) / 10,
      });
    }
    context.say(`${step}: ${steps.at(-1)?.status} (${formatDuration(performance.now() - started)})`);
    return steps.at(-1)?.status === 'ok';
  };

  try {
    const up = await timed('SAN up', async () => {
      const state = await labUp(context, options.specFile);
      return {
        status: 'ok',
        detail: `${state.san.target} on ${state.san.listen.address}:${state.san.listen.port}`,
      };
    });
    let installed = false;
    const install =
      up &&
      (await timed('DVD install', async () => {
        const outcome = await labInstall(context, { ...options, keep: false });
        installed = outcome.status === 'installed';
        const timings = `kernel at ${outcome.timings.kernel} s, installer at ${outcome.timings.installer} s`;
        return { status: 'ok', detail: `${outcome.message}; ${timings}` };
      }));
    if (!install) {
      steps.push({
        step: 'blades boot',
        status: 'not-run',
        seconds: 0,
        detail: 'the install did not complete',
      });
    } else if (!installed) {
      steps.push({
        step: 'blades boot',
        status: 'not-run',
        seconds: 0,
        detail: `the installer's verdict was not "installed"`,
      });
    } else {
      await timed('blades boot', async () => {
        const { spec } = labSpec(labPaths(context.dir).spec);
        const names = expandBlades(spec).map((blade) => blade.name);
        const boot = async (name: string) => {
          const [vm] = await labBoot(context, [name]);
          if (!vm) throw new Error(`${name} did not start`);
          return vm;
        };
        const results = await bootInWaves(names, options.parallel ?? availableParallelism(), boot, (vm) =>
          waitForBlade(vm, options.bladeTimeoutMs ?? BLADE_MS),
        );
        const failed = results.filter((r) => r.status !== 'ok');
        return {
          status: failed.length === 0 ? 'ok' : 'failed',
          detail: results.map((r, i) => `${names[i]}: ${r.detail}`).join('; '),
        };
      });
    }
  } finally {
    if (!options.keep && readState(context.dir)) await labDown(context);
  }
  return { ok: steps.every((s) => s.status !== 'failed'), steps };
}

/**
 * Powers the blades on, `parallel` at a time: the next one when a booting one is at its login
 * prompt (or failed). A blade under TCG keeps a host core busy; more machines than cores starve
 * each other (and the SAN) into timeouts that a real rack would not see. Results in `names` order.
 */
export async function bootInWaves<M, T>(
  names: string[],
  parallel: number,
  start: (name: string) => Promise<M>,
  wait: (machine: M) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(names.length);
  let next = 0;
  // one start at a time: starting a machine holds the lab's lock
  let starting: Promise<unknown> = Promise.resolve();
  const lane = async () => {
    while (next < names.length) {
      const index = next;
      next += 1;
      const started = starting.then(() => start(names[index] as string));
      starting = started.catch(() => undefined);
      results[index] = await wait(await started);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, names.length)) }, lane));
  return results;
}

/** waits for the blade's login prompt (or a failure its console says), then tells how its boot went */
export async function waitForBlade(
  vm: LabVm,
  timeoutMs: number,
): Promise<{ status: StepStatus; detail: string }> {
  try {
    await vm.waitFor(
      new RegExp(`(${SANBOOT_FAILED}.*|^${vm.name} login:|${ROOT_FAILED.source})`, 'm'),
      timeoutMs,
    );
  } catch (error) {
    // how far it got, and where its console stopped: the summary is one line per blade
    const console = vm.serialLog();
    const last = console
      .split(/\r?\n/)
      .map((line) => stripVTControlCharacters(line).trim())
      .filter((line) => line !== '')
      .at(-1);
    const reason = (error as Error).message.split('\n')[0] ?? '';
    const outcome = bladeOutcome(vm.name, console).detail;
    return {
      status: 'failed',
      detail: `${reason} (${outcome}); the console's last line: ${last === undefined ? 'none, it is empty' : JSON.stringify(last)}; the whole console: ${vm.log}`,
    };
  }
  return bladeOutcome(vm.name, vm.serialLog());
}

export function summaryTable(steps: Step[]): string {
  const width = Math.max(...steps.map((s) => s.step.length), 4);
  return [
    `${'step'.padEnd(width)}  result   time     detail`,
    ...steps.map(
      (s) =>
        `${s.step.padEnd(width)}  ${s.status.padEnd(7)}  ${`${s.seconds} s`.padEnd(7)}  ${s.detail.split('\n')[0]}`,
    ),
  ].join('\n');
}
