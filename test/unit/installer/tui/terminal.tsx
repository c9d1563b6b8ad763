/**
 * A terminal of a given size for Ink, and keys to type on it. ink-testing-library's terminal is
 * always 100 columns (its stdout's `columns` is a fixed getter) and has no rows; this one is built
 * the same way (debug rendering: every frame written whole) with the size of a serial console
 * (80×24) or a large screen (200×60).
 */
import { EventEmitter } from 'node:events';
import { type Instance, render } from 'ink';
import type { ReactElement } from 'react';
import { expect, vi } from 'vitest';

export class Screen extends EventEmitter {
  readonly frames: string[] = [];
  readonly isTTY = false;
  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    super();
  }
  write = (frame: string) => {
    this.frames.push(frame);
    return true;
  };
}

export class StdinStub extends EventEmitter {
  readonly isTTY = true;
  #data: string | null = null;
  write = (data: string) => {
    this.#data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = () => {
    const data = this.#data;
    this.#data = null;
    return data;
  };
  setEncoding() {}
  setRawMode(_on?: boolean) {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

const mounted: Instance[] = [];

export interface SizedTerminal {
  stdin: Keyboard;
  frames: string[];
  lastFrame(): string;
  rerender(tree: ReactElement): void;
}

export function renderOn(tree: ReactElement, size: { columns: number; rows: number }): SizedTerminal {
  const stdout = new Screen(size.columns, size.rows);
  const stdin = new StdinStub();
  const instance = render(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new Screen(size.columns, size.rows) as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  mounted.push(instance);
  return {
    stdin,
    frames: stdout.frames,
    lastFrame: () => stdout.frames.at(-1) ?? '',
    rerender: instance.rerender,
  };
}

export function unmountAll(): void {
  for (const instance of mounted.splice(0)) instance.unmount();
}

export const SERIAL = { columns: 80, rows: 24 } as const;
export const LARGE = { columns: 200, rows: 60 } as const;

export const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  left: '\u001B[D',
  right: '\u001B[C',
  tab: '\t',
  shiftTab: '\u001B[Z',
  enter: '\r',
  escape: '\u001B',
  backspace: '\u007F',
  space: ' ',
  ctrlC: '\u0003',
  pageDown: '\u001B[6~',
} as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Ink passes on an Esc only after a pause (it may start a sequence); effects run after a render */
export const settle = () => sleep(15);

/** a keyboard, and the frames it is typed at when known: typing then waits for them to settle */
export interface Keyboard {
  write(data: string): void;
  frames?: readonly string[];
}

/** React may render an intent a little later than the key: wait until no frame came for a while */
async function quiet(frames: readonly string[], ms = 40, atMost = 3000): Promise<void> {
  const end = Date.now() + atMost;
  let seen = -1;
  while (frames.length !== seen && Date.now() < end) {
    seen = frames.length;
    await sleep(ms);
  }
}

export async function type(keyboard: Keyboard, ...keys: string[]): Promise<void> {
  for (const key of keys) {
    keyboard.write(key);
    await settle();
  }
  if (keyboard.frames) await quiet(keyboard.frames);
}

/** waits for what the App does after a key: an effect, the engine port's answer, a render */
export const until = (check: () => void) => vi.waitFor(check, { timeout: 5000, interval: 20 });

const ANSI = new RegExp(`${'\u001B'}\\[[0-9;]*m`, 'g');
export const plain = (frame: string) => frame.replace(ANSI, '');
export const linesOf = (frame: string) => plain(frame).split('\n');

/**
 * the App's frame fits the terminal: no line wider than it, and exactly as many lines as it has (Ink
 * writes a frame that fills the terminal at once, a shorter one through a throttled writer: frames
 * of both kinds in a row can land out of order and leave a stale line on a slow console)
 */
export function expectFits(
  frame: string,
  size: { columns: number; rows: number },
  /** a screen's component rendered alone, not the whole App: at most as many lines */
  alone = false,
): void {
  const lines = linesOf(frame);
  const widest = Math.max(...lines.map((line) => [...line].length));
  expect(widest, `the widest line:\n${lines.find((l) => [...l].length === widest)}`).toBeLessThanOrEqual(
    size.columns,
  );
  const height = expect(lines.length, `the frame:\n${plain(frame)}`);
  if (alone) height.toBeLessThanOrEqual(size.rows);
  else height.toBe(size.rows);
}

/** the line of a frame that holds a text (and fails plainly when none does) */
export function lineWith(frame: string, text: string): string {
  const line = linesOf(frame).find((l) => l.includes(text));
  expect(line, `a line with ${JSON.stringify(text)} in:\n${plain(frame)}`).toBeDefined();
  return line ?? '';
}
