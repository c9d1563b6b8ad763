/**
 * The installer's dialogue on one console: draw the screen, read a key, carry out what the menu
 * asks for, draw again. The console and the machine are passed in, so that tests drive it with
 * recorded keys and fake effects, and main.ts with the real terminal and systemd.
 */
import { UserError } from '../core/errors.ts';
import type { BootRequest, SpecSourceSeen } from './boot-request.ts';
import { initialMenu, type MenuState, type PowerAction, press } from './menu.ts';
import { powerBanner, renderScreen, shellBanner } from './screen.ts';

export interface InstallerConsole {
  /** `keys` when each key press arrives on its own (raw TTY), `lines` otherwise */
  readonly input: 'keys' | 'lines';
  write(text: string): void;
  /** the next key, or undefined once the input has ended */
  nextKey(): Promise<string | undefined>;
  /** hands the terminal to a child (cooked mode, no reading) and takes it back */
  release(): void;
  reclaim(): void;
  /** erases the screen before a redraw, where the console can */
  clear(): void;
}

export interface InstallerMachine {
  /** a root login shell on this console; resolves with its exit status when it ends */
  shell(): Promise<number>;
  /** the guided installer on this console; resolves with its exit status when the administrator leaves it */
  guided(): Promise<number>;
  /** the unattended install again, its messages on this console; resolves with its verdict, one line */
  unattended(): Promise<string>;
  /** the factory reset of the blades the administrator picks, on this console; resolves with its exit status */
  recovery(): Promise<number>;
  /** asks systemd to power off or reboot; rejects with a UserError when it cannot */
  power(action: PowerAction): Promise<void>;
}

export interface SessionOptions {
  version: string;
  boot: BootRequest;
  specSources: readonly SpecSourceSeen[];
  console: InstallerConsole;
  machine: InstallerMachine;
  /** the first notice under the menu, in place of the boot mode's own */
  notice?: string;
}

/** Runs until the input ends or the user quits; resolves with the exit status for the process. */
export async function runSession({
  version,
  boot,
  specSources,
  console,
  machine,
  notice,
}: SessionOptions): Promise<number> {
  let menu: MenuState = { ...initialMenu(boot.mode), ...(notice !== undefined && { notice }) };
  let drawn = false;
  const draw = () => {
    // the prompt ends without a newline: a redraw starts on a line of its own
    if (drawn) console.write('\n');
    drawn = true;
    console.clear();
    console.write(renderScreen({ version, boot, specSources, menu, input: console.input }));
  };

  draw();
  for (;;) {
    const key = await console.nextKey();
    if (key === undefined) {
      console.write('\n');
      return 0;
    }
    const next = press(menu, key);
    menu = next.state;
    const effect = next.effect;
    if (effect.kind === 'quit') {
      console.write('\n');
      return 0;
    }
    if (
      effect.kind === 'shell' ||
      effect.kind === 'guided' ||
      effect.kind === 'unattended' ||
      effect.kind === 'recovery'
    ) {
      console.write(`\n${effect.kind === 'shell' ? shellBanner : ''}\n`);
      // the child has the terminal: the shell and the guided installer read it, the install writes to it
      console.release();
      try {
        menu = { ...menu, notice: await handOver(effect.kind, machine) };
      } catch (error) {
        menu = { ...menu, notice: oneLine(error) };
      } finally {
        console.reclaim();
      }
    }
    if (effect.kind === 'power') {
      console.write(`\n${powerBanner(effect.action)}\n`);
      try {
        await machine.power(effect.action);
        menu = { ...menu, notice: powerBanner(effect.action) };
      } catch (error) {
        menu = { ...menu, notice: oneLine(error) };
      }
    }
    draw();
  }
}

/** what the menu says when the console comes back */
async function handOver(
  kind: 'shell' | 'guided' | 'unattended' | 'recovery',
  machine: InstallerMachine,
): Promise<string> {
  if (kind === 'shell') return `Back from the shell (exit status ${await machine.shell()}).`;
  if (kind === 'guided') return `Back from the guided installer (exit status ${await machine.guided()}).`;
  if (kind === 'recovery') return `Back from recovery (exit status ${await machine.recovery()}).`;
  return machine.unattended();
}

/** An error as the notice line: the administrator's message (its first and last lines), never a stack. */
function oneLine(error: unknown): string {
  if (!(error instanceof UserError)) return `internal error: ${(error as Error).message}`;
  const lines = error.message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines.length > 1 ? `${lines[0]} ${lines.at(-1)}` : (lines[0] ?? error.message);
}
