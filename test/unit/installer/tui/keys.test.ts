/** Keys to intents: what each key does on the item in focus, and the keys every screen shares. */
import type { Key } from 'ink';
import { describe, expect, test } from 'vitest';
import { keyIntent, splitKeys } from '../../../../installer/tui/keys.ts';
import type { State } from '../../../../installer/tui/state.ts';
import { DISCOVERY, feed, walkTo } from './fixtures.ts';

const NONE: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};
const key = (over: Partial<Key> = {}): Key => ({ ...NONE, ...over });
const press = (state: State, input: string, over: Partial<Key> = {}) => keyIntent(input, key(over), state);

describe('on a list', () => {
  const network = walkTo('network');
  test('up and down move in it and leave it at its ends; Enter and Space choose the row', () => {
    expect(press(network, '', { downArrow: true })).toEqual({ type: 'move', delta: 1 });
    expect(press(network, '', { upArrow: true })).toEqual({ type: 'focus', delta: -1 });
    const last = { ...network, cursors: { interfaces: 2 } };
    expect(press(last, '', { downArrow: true })).toEqual({ type: 'focus', delta: 1 });
    expect(press(last, '', { return: true })).toEqual({ type: 'choose', list: 'interfaces', index: 2 });
    expect(press(last, ' ')).toEqual({ type: 'choose', list: 'interfaces', index: 2 });
  });

  test('on the images Space takes or leaves one; on a blade Del removes it', () => {
    expect(press(walkTo('images'), ' ')).toEqual({ type: 'toggle', target: 'images', index: 0 });
    const blades = feed(walkTo('images'), { type: 'back' }, { type: 'focus-on', item: 'blades' });
    expect(press(blades, '', { delete: true })).toEqual({ type: 'remove', index: 0 });
  });

  test('r looks at the network again, unless a field is being typed in', () => {
    expect(press(walkTo('network'), 'r')).toEqual({ type: 'refresh' });
    const typing = feed(walkTo('network'), { type: 'focus-on', item: 'fabric.modules' });
    expect(press(typing, 'r')).toEqual({ type: 'type', field: 'fabric.modules', text: 'r' });
  });
});

describe('in a field', () => {
  const san = walkTo('san');
  test('characters are typed, Backspace erases, Enter and Tab go to the next item', () => {
    expect(press(san, 'a')).toEqual({ type: 'type', field: 'san.portals', text: 'a' });
    expect(press(san, 'x\ny')).toEqual({ type: 'type', field: 'san.portals', text: 'xy' });
    expect(press(san, '', { backspace: true })).toEqual({ type: 'erase', field: 'san.portals' });
    expect(press(san, '', { return: true })).toEqual({ type: 'focus', delta: 1 });
    expect(press(san, '\t', { tab: true, shift: true })).toEqual({ type: 'focus', delta: -1 });
  });

  test('? and ! are help and a shell, except in the secret, where they are typed', () => {
    expect(press(san, '?')).toEqual({ type: 'help' });
    expect(press(san, '!')).toEqual({ type: 'shell' });
    const secret = feed(san, { type: 'focus-on', item: 'secret' });
    expect(press(secret, '?')).toEqual({ type: 'type', field: 'secret', text: '?' });
    expect(press(secret, '!')).toEqual({ type: 'type', field: 'secret', text: '!' });
  });
});

describe('the keys every screen shares', () => {
  test('Esc goes back, Ctrl-C interrupts, a question takes every key', () => {
    const san = feed(walkTo('san'), { type: 'san-discovered', discovery: DISCOVERY });
    expect(press(san, '', { escape: true, meta: true })).toEqual({ type: 'back' });
    expect(press(san, 'c', { ctrl: true })).toEqual({ type: 'interrupt' });
    const asking = feed(san, { type: 'interrupt' });
    expect(press(asking, 'y')).toEqual({ type: 'answer', yes: true });
    expect(press(asking, '', { return: true })).toEqual({ type: 'answer', yes: false });
  });

  test('the help closes with Esc, ? or Enter and lets no other key through', () => {
    const help = feed(walkTo('cluster'), { type: 'help' });
    expect(press(help, '', { escape: true })).toEqual({ type: 'close' });
    expect(press(help, '?')).toEqual({ type: 'close' });
    expect(press(help, 'x')).toBeUndefined();
  });

  test('l shows the log while installing; nothing is typed there', () => {
    const progress = { ...walkTo('review'), screen: 'progress' as const, focus: undefined };
    expect(press(progress, 'l')).toEqual({ type: 'toggle-log' });
    expect(press(progress, 'x')).toBeUndefined();
  });
});

describe('a chunk of typed keys (a paste, tmux send-keys, a serial line)', () => {
  test('Tab, Enter and Backspace in it are keys of their own; the text between them stays whole', () => {
    expect(splitKeys('10.0.2.2:3260\tlab\tse?!ret\r', key())).toEqual([
      ['10.0.2.2:3260', key()],
      ['', key({ tab: true })],
      ['lab', key()],
      ['', key({ tab: true })],
      ['se?!ret', key()],
      ['', key({ return: true })],
    ]);
    expect(splitKeys('ab\u007f\u007fc\n', key())).toEqual([
      ['ab', key()],
      ['', key({ backspace: true })],
      ['', key({ backspace: true })],
      ['c', key()],
      ['', key({ return: true })],
    ]);
  });

  test('one key, or text without a control character, is passed on as Ink parsed it', () => {
    expect(splitKeys('\t', key({ tab: true }))).toEqual([['\t', key({ tab: true })]]);
    expect(splitKeys('node[01-16]', key())).toEqual([['node[01-16]', key()]]);
    expect(splitKeys('', key({ upArrow: true }))).toEqual([['', key({ upArrow: true })]]);
  });

  test('typed on the SAN screen, the secret lands in its field, not in the portal', () => {
    let state = walkTo('san');
    for (const [typed, pressed] of splitKeys('\tlab\tsecret', key())) {
      const intent = keyIntent(typed, pressed, state);
      if (intent) state = feed(state, intent);
    }
    expect(state.focus).toBe('secret');
    expect(state.values['san.chap.user']).toBe('lab');
    expect(state.values.secret).toBe('secret');
    expect(state.values['san.portals']).not.toContain('secret');
  });
});
