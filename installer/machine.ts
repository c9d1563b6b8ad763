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

/**
 * Runs the shell with the console as its stdin/stdout/stderr. This is the one process the
 * installer does not start through the runner: the runner captures output, and a shell needs the
 * terminal itself.
 */
export function runInteractive(command: Command): Promise<number> {
  // like system(3): the shell's Ctrl-C is for the shell, not for the installer waiting on it
  for (const signal of stopSignals) process.on(signal, ignore);
  return new Promise<number>((resolve, reject) => {
    const child = spawn(command.tool, command.args, {
      stdio: 'inherit',
      ...(command.env && { env: { ...process.env, ...command.env } }),
      ...(command.cwd !== undefined && { cwd: command.cwd }),
    });
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UserError(`could not start ${command.tool}: ${error.code ?? error.message}`)),
    );
    child.once('exit', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
  }).finally(() => {
    for (const signal of stopSignals) process.off(signal, ignore);
  });
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
  return {
    shell: () => runInteractive(rootShell),
    guided: async () => runInteractive(await guidedCommand(live, runner)),
    recovery: async () => runInteractive(await recoveryCommand(live, runner)),
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
