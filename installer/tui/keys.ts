/**
 * Keys to intents, for a serial console first: arrows, Tab, Enter, Esc, Space, Backspace and
 * printable characters, nothing a VT100 cannot send. The App reads every key and asks keyIntent,
 * with the state of the latest render: the keys every screen shares (Esc, ?, !, Ctrl-C, the
 * answers to a question), then the few of a screen, then those of the item in focus.
 */
import type { Key } from 'ink';
import { type Item, itemById } from './fields.ts';
import { listLength } from './form.ts';
import type { Intent } from './model.ts';
import type { Overlay, State } from './state.ts';

/** what the screen's key handler knows of the focused item */
export interface Focused {
  item: Item | undefined;
  /** the row under the cursor of a list */
  cursor: number;
  /** the rows of a list */
  length: number;
}

const isEnter = (input: string, key: Key) => key.return || input === '\r' || input === '\n';

/** keys typed into a field that hides them are never commands: a secret may hold ? and ! */
const typesAnything = (focused: Item | undefined) => focused?.kind === 'text' && focused.id === 'secret';

/** the keys the App reads, on every screen */
export function globalIntent(
  input: string,
  key: Key,
  context: { overlay: Overlay | undefined; focused: Item | undefined },
): Intent | undefined {
  const { overlay } = context;
  if (overlay === 'ask-quit' || overlay === 'ask-stop')
    return { type: 'answer', yes: input.toLowerCase() === 'y' };
  if (key.ctrl && input === 'c') return { type: 'interrupt' };
  if (overlay === 'help')
    return key.escape || input === '?' || isEnter(input, key) ? { type: 'close' } : undefined;
  if (key.escape) return { type: 'back' };
  if (typesAnything(context.focused)) return undefined;
  if (input === '?') return { type: 'help' };
  if (input === '!') return { type: 'shell' };
  return undefined;
}

/** printable text only: a paste may carry a newline or a control character */
const printable = (input: string) => [...input].filter((c) => c >= ' ' && c !== '\u007f').join('');

function listIntent(input: string, key: Key, focused: Focused, id: Item['id']): Intent | undefined {
  const { cursor, length } = focused;
  if (key.upArrow) return cursor <= 0 ? { type: 'focus', delta: -1 } : { type: 'move', delta: -1 };
  if (key.downArrow) return cursor >= length - 1 ? { type: 'focus', delta: 1 } : { type: 'move', delta: 1 };
  if (key.pageUp) return { type: 'move', delta: -10 };
  if (key.pageDown) return { type: 'move', delta: 10 };
  if (length === 0) return undefined;
  if (isEnter(input, key) || input === ' ') {
    if (id === 'images') return { type: 'toggle', target: 'images', index: cursor };
    if (id === 'plan') return undefined;
    return { type: 'choose', list: id as Extract<Item, { kind: 'list' }>['id'], index: cursor };
  }
  if ((key.backspace || key.delete) && id === 'blades') return { type: 'remove', index: cursor };
  return undefined;
}

/** the keys of the focused item, read by the screen */
export function itemIntent(input: string, key: Key, focused: Focused): Intent | undefined {
  const { item } = focused;
  if (key.tab) return { type: 'focus', delta: key.shift ? -1 : 1 };
  if (!item) return isEnter(input, key) ? { type: 'next' } : undefined;
  switch (item.kind) {
    case 'list':
      return listIntent(input, key, focused, item.id);
    case 'text': {
      if (key.upArrow) return { type: 'focus', delta: -1 };
      if (key.downArrow) return { type: 'focus', delta: 1 };
      if (isEnter(input, key))
        return item.id === 'confirm' ? { type: 'confirm' } : { type: 'focus', delta: 1 };
      if (key.backspace || key.delete) return { type: 'erase', field: item.id };
      const typed = key.ctrl || key.meta ? '' : printable(input);
      return typed ? { type: 'type', field: item.id, text: typed } : undefined;
    }
    case 'toggle':
      if (key.upArrow) return { type: 'focus', delta: -1 };
      if (key.downArrow) return { type: 'focus', delta: 1 };
      if (isEnter(input, key) || input === ' ' || key.leftArrow || key.rightArrow) {
        return { type: 'toggle', target: item.id };
      }
      return undefined;
    case 'button':
      if (key.upArrow) return { type: 'focus', delta: -1 };
      if (key.downArrow) return { type: 'focus', delta: 1 };
      return isEnter(input, key) || input === ' ' ? { type: 'press', button: item.id } : undefined;
  }
}

/** the keys a control character in a chunk of typed text stands for */
const CONTROL_KEYS: Record<string, Partial<Key>> = {
  '\t': { tab: true },
  '\r': { return: true },
  '\n': { return: true },
  '\u007f': { backspace: true },
  '\b': { backspace: true },
};

/**
 * One chunk of input as the keys it holds. Ink parses a chunk into one key when it holds no escape
 * sequence: keys typed faster than the terminal is read (a paste, tmux send-keys, a serial line)
 * come as `10.0.2.2<Tab>lab<Tab>secret`, which would be typed whole into the field in focus.
 * Tab, Enter and Backspace in it are keys of their own; the text between them stays one chunk.
 */
export function splitKeys(input: string, key: Key): [string, Key][] {
  if (input.length < 2 || !/[\t\r\n\u007f\b]/.test(input)) return [[input, key]];
  const plain: Key = { ...key, tab: false, return: false, backspace: false, delete: false };
  const keys: [string, Key][] = [];
  for (const part of input.split(/([\t\r\n\u007f\b])/)) {
    if (part === '') continue;
    const control = CONTROL_KEYS[part];
    keys.push(control ? ['', { ...plain, ...control }] : [part, plain]);
  }
  return keys;
}

/** what a key does in this state; one function for the whole App, so a key never meets an old screen */
export function keyIntent(input: string, key: Key, state: State): Intent | undefined {
  const focused = state.focus === undefined ? undefined : itemById(state.focus);
  const shared = globalIntent(input, key, { overlay: state.overlay, focused });
  if (shared || state.overlay) return shared;
  if (state.screen === 'progress') return input === 'l' ? { type: 'toggle-log' } : undefined;
  if (state.screen === 'network' && input === 'r' && focused?.kind !== 'text') return { type: 'refresh' };
  const list =
    focused?.kind === 'list'
      ? { cursor: state.cursors[focused.id] ?? 0, length: listLength(state, focused.id) }
      : { cursor: 0, length: 0 };
  return itemIntent(input, key, { item: focused, ...list });
}
