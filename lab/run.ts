/**
 * `lab run`: the whole lab in one command — SAN up, DVD install, every blade booted — with a
 * summary table and one JSON line, exit 0 only if every step held. Steps a version cannot do yet
 * (no install engine: nothing on the LUN to boot) are reported as such, never as passed.
 */
import { formatDuration } from '../core/exec/units.ts';
import { labBoot, SANBOOT_FAILED } from './blades.ts';
import { type InstallOptions, labInstall } from './install.ts';
import { type LabContext, labDown, labUp } from './lab.ts';
import type { LabVm } from './machines.ts';
import { readState } from './state.ts';

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
}

const BLADE_MS = 900_000;

/** how a blade's boot ended, from its console: a login prompt with its name, or the SAN boot's failure */
export function bladeOutcome(name: string, console: string): { status: StepStatus; detail: string } {
  const failed = new RegExp(`${SANBOOT_FAILED} (\\S*): (.*)`).exec(console);
  if (failed)
    return { status: 'failed', detail: `SAN boot failed (iPXE error ${failed[1]}): ${failed[2]?.trim()}` };
  if (new RegExp(`^${name} login:`, 'm').test(console))
    return { status: 'ok', detail: `multi-user, login prompt as ${name}` };
  return { status: 'failed', detail: 'neither a login prompt nor a SAN boot failure' };
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
        if (outcome.status === 'no-engine') {
          // the handover held: the installer booted, found the spec and checked it
          return { status: 'ok', detail: `installer took the spec (${outcome.message}); ${timings}` };
        }
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
        detail: 'nothing installed on the LUN yet: this version has no install engine',
      });
    } else {
      await timed('blades boot', async () => {
        const vms = await labBoot(context, []);
        const results = await Promise.all(
          vms.map((vm) => waitForBlade(vm, options.bladeTimeoutMs ?? BLADE_MS)),
        );
        const failed = results.filter((r) => r.status !== 'ok');
        return {
          status: failed.length === 0 ? 'ok' : 'failed',
          detail: results.map((r, i) => `${vms[i]?.name}: ${r.detail}`).join('; '),
        };
      });
    }
  } finally {
    if (!options.keep && readState(context.dir)) await labDown(context);
  }
  return { ok: steps.every((s) => s.status !== 'failed'), steps };
}

async function waitForBlade(vm: LabVm, timeoutMs: number): Promise<{ status: StepStatus; detail: string }> {
  try {
    await vm.waitFor(new RegExp(`(${SANBOOT_FAILED}.*|^${vm.name} login:)`, 'm'), timeoutMs);
  } catch (error) {
    return { status: 'failed', detail: (error as Error).message.split('\n')[0] ?? '' };
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
