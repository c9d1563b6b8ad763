import { expect, test } from 'vitest';
import { entryForKey, initialMenu, type MenuState, menuEntries, press } from '../../../installer/menu.ts';

/** presses keys one after the other and returns the last outcome */
function pressAll(keys: string[], state: MenuState = {}) {
  let outcome = { state, effect: { kind: 'none' } as ReturnType<typeof press>['effect'] };
  for (const key of keys) outcome = press(outcome.state, key);
  return outcome;
}

test('the menu offers the six entries of the DVD, each on its own key', () => {
  expect(menuEntries.map((e) => e.label)).toEqual([
    'Install',
    'Unattended install',
    'Recovery (factory reset)',
    'Shell (root)',
    'Power off',
    'Reboot',
  ]);
  expect(new Set(menuEntries.map((e) => e.key)).size).toBe(menuEntries.length);
});

test('keys are case-insensitive and digits select by position', () => {
  expect(entryForKey('S')?.action).toBe('shell');
  expect(entryForKey('4')?.action).toBe('shell');
  expect(entryForKey('7')).toBeUndefined();
  expect(entryForKey('0')).toBeUndefined();
});

test('s gives the shell with one keystroke', () => {
  expect(press({}, 's').effect).toEqual({ kind: 'shell' });
});

test('i starts the guided installer, u the unattended install', () => {
  expect(press({}, 'i').effect).toEqual({ kind: 'guided' });
  expect(press({}, '1').effect).toEqual({ kind: 'guided' });
  expect(press({ highlight: 'install' }, 'u')).toEqual({
    state: { highlight: 'install' },
    effect: { kind: 'unattended' },
  });
});

test('f starts the recovery: the reset asks which blades, so nothing is reset by one key', () => {
  expect(press({}, 'f')).toEqual({ state: {}, effect: { kind: 'recovery' } });
  expect(press({ highlight: 'recovery' }, '3')).toEqual({
    state: { highlight: 'recovery' },
    effect: { kind: 'recovery' },
  });
});

test('power off and reboot wait for y: a stray byte on a serial line stops nothing', () => {
  expect(press({}, 'p')).toMatchObject({ effect: { kind: 'none' }, state: { confirming: 'poweroff' } });
  expect(pressAll(['p', 'y']).effect).toEqual({ kind: 'power', action: 'poweroff' });
  expect(pressAll(['b', 'Y']).effect).toEqual({ kind: 'power', action: 'reboot' });
  const cancelled = pressAll(['b', 'p']);
  expect(cancelled.effect).toEqual({ kind: 'none' });
  expect(cancelled.state).toEqual({ notice: 'Reboot: cancelled.' });
});

test('an unknown key names the keys that work', () => {
  expect(press({}, 'x').state.notice).toBe('No entry for key x: press one of i u f s p b.');
  expect(press({}, '\u0007').state.notice).toMatch(/^No entry for key \^G:/);
});

test('Enter redraws and clears the last notice; Ctrl-C and Ctrl-D quit', () => {
  expect(press({ notice: 'old' }, '\n')).toEqual({ state: {}, effect: { kind: 'none' } });
  expect(press({}, '\u0003').effect).toEqual({ kind: 'quit' });
  expect(press({ confirming: 'poweroff' }, '\u0004').effect).toEqual({ kind: 'quit' });
});

test('the entry the boot asked for stays marked; Recovery says how it starts, in one line', () => {
  const start = initialMenu('unattended');
  expect(start).toEqual({ highlight: 'unattended' });
  expect(press(start, 'x').state.highlight).toBe('unattended');
  expect(initialMenu('recovery')).toEqual({
    highlight: 'recovery',
    notice: 'Recovery: f lists the blades and asks which to reset to factory state.',
  });
  expect(initialMenu('recovery').notice?.length).toBeLessThanOrEqual(78);
  expect(initialMenu('rescue')).toEqual({});
  expect(initialMenu(undefined)).toEqual({});
});
