/**
 * The installer's menu as a model: its entries, and what a key press does to the menu's state.
 * Pure, so the whole dialogue is testable without a terminal; the session (session.ts) carries out
 * the effects (a shell, a power action) that a key asks for.
 */
import type { BootMode } from './boot-request.ts';

export type MenuAction = 'install' | 'unattended' | 'recovery' | 'shell' | 'poweroff' | 'reboot';
export type PowerAction = 'poweroff' | 'reboot';

export interface MenuEntry {
  action: MenuAction;
  /**
   * one keystroke selects it; digits 1-6 work too, for keyboards where letters are remapped.
   * The same letters as the boot menu's (iso/menu.ts): f for Recovery, as r is Rescue there.
   */
  key: string;
  label: string;
}

export const menuEntries: readonly MenuEntry[] = [
  { action: 'install', key: 'i', label: 'Install' },
  { action: 'unattended', key: 'u', label: 'Unattended install' },
  { action: 'recovery', key: 'f', label: 'Recovery (factory reset)' },
  { action: 'shell', key: 's', label: 'Shell (root)' },
  { action: 'poweroff', key: 'p', label: 'Power off' },
  { action: 'reboot', key: 'b', label: 'Reboot' },
];

/** the Recovery entry's line: a reset is asked for, never started by the boot alone */
export const recoveryNotice = 'Recovery: f lists the blades and asks which to reset to factory state.';

export interface MenuState {
  /** the entry the boot menu asked for, marked on screen */
  highlight?: MenuAction;
  /** one line under the menu: the outcome of the last key */
  notice?: string;
  /** a power action waiting for `y`: a stray byte on a serial line must not stop the machine */
  confirming?: PowerAction;
}

export type Effect =
  | { kind: 'none' }
  | { kind: 'shell' }
  /** the guided installer (install --tui) on this console */
  | { kind: 'guided' }
  /** the unattended install again, from the spec the boot names */
  | { kind: 'unattended' }
  /** the factory reset of blades the administrator picks (reset --pick), from the boot's spec */
  | { kind: 'recovery' }
  | { kind: 'power'; action: PowerAction }
  | { kind: 'quit' };

const none: Effect = { kind: 'none' };

/** The state to start from: the entry the boot asked for is marked; Recovery says how it starts. */
export function initialMenu(mode: BootMode | undefined): MenuState {
  if (mode === undefined || mode === 'rescue') return {};
  return { highlight: mode, ...(mode === 'recovery' && { notice: recoveryNotice }) };
}

export function entryForKey(key: string): MenuEntry | undefined {
  const lower = key.toLowerCase();
  const digit = Number.parseInt(lower, 10);
  if (/^[1-9]$/.test(lower)) return menuEntries[digit - 1];
  return menuEntries.find((entry) => entry.key === lower);
}

const printable = (key: string) => {
  const code = key.codePointAt(0) ?? 0;
  return code < 0x20 ? `^${String.fromCodePoint(code + 0x40)}` : key;
};

/** What one key press does. Ctrl-C and Ctrl-D quit (systemd starts the installer again). */
export function press(state: MenuState, key: string): { state: MenuState; effect: Effect } {
  const base = { ...(state.highlight && { highlight: state.highlight }) };
  if (key === '\u0003' || key === '\u0004') return { state: base, effect: { kind: 'quit' } };

  if (state.confirming) {
    const action = state.confirming;
    if (key.toLowerCase() === 'y') return { state: base, effect: { kind: 'power', action } };
    return { state: { ...base, notice: `${labelOf(action)}: cancelled.` }, effect: none };
  }

  if (key === '\r' || key === '\n' || key === ' ') return { state: base, effect: none };
  const entry = entryForKey(key);
  if (!entry) {
    const keys = menuEntries.map((e) => e.key).join(' ');
    return {
      state: { ...base, notice: `No entry for key ${printable(key)}: press one of ${keys}.` },
      effect: none,
    };
  }
  if (entry.action === 'recovery') return { state: base, effect: { kind: 'recovery' } };
  if (entry.action === 'shell') return { state: base, effect: { kind: 'shell' } };
  if (entry.action === 'install') return { state: base, effect: { kind: 'guided' } };
  if (entry.action === 'unattended') return { state: base, effect: { kind: 'unattended' } };
  return {
    state: {
      ...base,
      confirming: entry.action,
      notice: `${entry.label} now? Press y to confirm, any other key to go back.`,
    },
    effect: none,
  };
}

export const labelOf = (action: MenuAction): string =>
  menuEntries.find((entry) => entry.action === action)?.label ?? action;
