/**
 * What the installer does to the live system: a root shell on its console, power off and reboot
 * through systemd, and a look at where an unattended install would find its spec.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { UserError } from '../core/errors.ts';
import type { Command } from '../core/exec/command.ts';
import type { Runner } from '../core/exec/runner.ts';
import { type BootRequest, type SpecSourceSeen, specSources } from './boot-request.ts';
import type { PowerAction } from './menu.ts';
import type { InstallerMachine } from './session.ts';
import { runUnattended, specFromBoot } from './unattended.ts';

export const rootShell: Command = { tool: '/bin/bash', args: ['--login'] };

export const powerCommand = (action: PowerAction): Command => ({
  tool: 'systemctl',
  args: [action],
  timeoutMs: 60_000,
});

const stopSignals = ['SIGINT', 'SIGQUIT', 'SIGTSTP'] as const;
const ignore = () => {};

/** how a program on the console ended: its exit status as a shell's `$?` gives it, and the signal that killed it */
export interface Ended {
  status: number;
  signal?: NodeJS.Signals;
  pid?: number;
}

/**
 * Runs the shell with the console as its stdin/stdout/stderr. This is the one process the
 * installer does not start through the runner: the runner captures output, and a shell needs the
 * terminal itself.
 */
export function runInteractive(command: Command): Promise<Ended> {
  // like system(3): the shell's Ctrl-C is for the shell, not for the installer waiting on it
  for (const signal of stopSignals) process.on(signal, ignore);
  return new Promise<Ended>((resolve, reject) => {
    const child = spawn(command.tool, command.args, {
      stdio: 'inherit',
      ...(command.env && { env: { ...process.env, ...command.env } }),
      ...(command.cwd !== undefined && { cwd: command.cwd }),
    });
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UserError(`could not start ${command.tool}: ${error.code ?? error.message}`)),
    );
    child.once('exit', (code, signal) =>
      resolve({
        status: code ?? 128 + signalNumber(signal),
        ...(signal && { signal }),
        ...(child.pid !== undefined && { pid: child.pid }),
      }),
    );
  }).finally(() => {
    for (const signal of stopSignals) process.off(signal, ignore);
  });
}

/** the signals a program dies of by its own fault (or by a bug under it) */
const CRASH_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set([
  'SIGSEGV',
  'SIGBUS',
  'SIGILL',
  'SIGFPE',
  'SIGABRT',
  'SIGTRAP',
  'SIGSYS',
]);

/** the most the console is given of the kernel's log about one crash */
const KERNEL_LINES = 40;

/**
 * What the kernel logged about process `pid` (dmesg's text): from the first line that names it
 * (`node[1234]: segfault at ...`, or `PID: 1234` in a fatal signal's register dump) on: the lines
 * after it (the code bytes, the registers) do not name it.
 */
export function kernelLinesAbout(dmesg: string, pid: number): string[] {
  const lines = dmesg.split('\n').filter((line) => line.trim() !== '');
  const names = new RegExp(`\\[${pid}\\]|\\bPID: ${pid}\\b`);
  let first = lines.findIndex((line) => names.test(line));
  if (first < 0) return [];
  // a fatal signal's dump (print-fatal-signals) says which signal on the line before the one with the PID
  if (/potentially unexpected fatal signal/.test(lines[first - 1] ?? '')) first -= 1;
  return lines.slice(first, first + KERNEL_LINES);
}

/**
 * When a signal killed a program the menu ran, the console says so, with what the kernel logged
 * about it (the faulting address, the instruction, the code bytes): a native crash leaves nothing
 * else behind, and the serial console's log is what gets attached to a report.
 */
export async function sayKilled(what: string, ended: Ended, runner: Runner, write: (text: string) => void) {
  if (!ended.signal) return;
  if (!CRASH_SIGNALS.has(ended.signal)) {
    // a signal someone sent (Ctrl-C where the terminal was not raw, kill, a hang-up): not a crash
    write(`\n${what} was stopped by ${ended.signal} (exit status ${ended.status}).\n`);
    return;
  }
  let lines: string[] = [];
  if (ended.pid !== undefined) {
    try {
      lines = kernelLinesAbout((await runner.run({ tool: 'dmesg', args: [] })).stdout, ended.pid);
    } catch {
      // no kernel log to read (dmesg missing or refused): the signal is still said
    }
  }
  write(
    [
      '',
      `${what} was killed by ${ended.signal} (exit status ${ended.status}); this is a bug: please report it with this console's log.`,
      ...(lines.length > 0
        ? ["The kernel's log from the crash on:", ...lines.map((line) => `  ${line}`)]
        : ['The kernel logged nothing about it.']),
      '',
    ].join('\n'),
  );
}

/**
 * The same, for a program that draws on the terminal and reads its keys itself (the guided
 * installer): its event loop stands still until the shell exits, so no key goes to both.
 */
export function runInteractiveSync(command: Command): number {
  for (const signal of stopSignals) process.on(signal, ignore);
  try {
    const child = spawnSync(command.tool, command.args, {
      stdio: 'inherit',
      ...(command.env && { env: { ...process.env, ...command.env } }),
      ...(command.cwd !== undefined && { cwd: command.cwd }),
    });
    if (child.error) {
      const { code, message } = child.error as NodeJS.ErrnoException;
      throw new UserError(`could not start ${command.tool}: ${code ?? message}`);
    }
    return child.status ?? 128 + signalNumber(child.signal);
  } finally {
    for (const signal of stopSignals) process.off(signal, ignore);
  }
}

/** a shell killed by a signal reports 128 + its number, as a shell's `$?` would */
const signalNumber = (signal: NodeJS.Signals | null): number => (signal ? constants.signals[signal] : 0);

/** what the live machine's installer knows of this boot, for the entries that install */
export interface LiveBoot {
  version: string;
  boot: BootRequest;
  sources: readonly SpecSourceSeen[];
  root: string;
  /** the installer's own program (the bundle): `install --tui` runs it again as a child */
  program: string;
}

/** where the unattended install's verdict is kept for this boot (the installer restarts on exit) */
export const unattendedResultFile = (root: string) => join(root, 'run/virtualinux/unattended.result');

/** the menu's line after an unattended install: its verdict */
export const unattendedNotice = (status: string) =>
  `Unattended install: ${status} (its messages are above; s for a shell).`;

/** `virtualinux install --tui --enlist`, from the spec the boot names when it has one */
export async function guidedCommand(live: LiveBoot, runner: Runner): Promise<Command> {
  const spec = await specFromBoot({ ...live, runner });
  return {
    tool: process.execPath,
    args: [live.program, 'install', '--tui', '--enlist', ...(spec ? ['--spec', spec.file] : [])],
  };
}

/** `virtualinux reset --pick` from the spec the boot names; without one, what to do instead */
export async function recoveryCommand(live: LiveBoot, runner: Runner): Promise<Command> {
  const spec = await specFromBoot({ ...live, runner });
  if (!spec) {
    throw new UserError('Recovery: this boot names no spec; s, then virtualinux reset --spec FILE NODE');
  }
  return { tool: process.execPath, args: [live.program, 'reset', '--pick', '--spec', spec.file] };
}

export function liveMachine(runner: Runner, live: LiveBoot): InstallerMachine {
  const interactive = async (what: string, command: Command) => {
    const ended = await runInteractive(command);
    await sayKilled(what, ended, runner, (text) => process.stdout.write(text));
    return ended.status;
  };
  return {
    shell: () => interactive('The shell', rootShell),
    guided: async () => interactive('The guided installer', await guidedCommand(live, runner)),
    recovery: async () => interactive('Recovery', await recoveryCommand(live, runner)),
    unattended: async () => {
      const result = await runUnattended({ ...live, runner, write: (text) => process.stdout.write(text) });
      const file = unattendedResultFile(live.root);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${result.status}\n`);
      return unattendedNotice(result.status);
    },
    power: async (action) => {
      await runner.run(powerCommand(action));
    },
  };
}

/** Which spec sources are present now; `root` lets tests stand in for / with a directory. */
export function observeSpecSources(boot: BootRequest, root = '/'): SpecSourceSeen[] {
  return specSources.map((source) => {
    if (source.path === undefined) return { source, status: boot.specUrl ?? 'not given' };
    return { source, status: existsSync(join(root, source.path)) ? 'found' : 'not found' };
  });
}
