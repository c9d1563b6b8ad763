import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { terminalConsole } from '../../../installer/terminal.ts';

/** stdin/stdout stand-ins; `tty` makes stdin look like a terminal that records its raw mode */
function streams(tty: boolean) {
  const modes: boolean[] = [];
  const stdin = Object.assign(new PassThrough(), {
    isTTY: tty,
    setRawMode: (on: boolean) => {
      modes.push(on);
      return stdin;
    },
  }) as unknown as NodeJS.ReadStream & PassThrough;
  let shown = '';
  const stdout = Object.assign(new PassThrough(), { isTTY: tty }) as unknown as NodeJS.WriteStream &
    PassThrough;
  stdout.on('data', (chunk: Buffer) => {
    shown += chunk.toString();
  });
  return { stdin, stdout, modes, shown: () => shown };
}

async function keys(terminal: ReturnType<typeof terminalConsole>, count: number) {
  const read: (string | undefined)[] = [];
  for (let i = 0; i < count; i++) read.push(await terminal.nextKey());
  return read;
}

test('on a pipe, each line is its first character; a blank line is Enter; the end is undefined', async () => {
  const { stdin, stdout } = streams(false);
  const terminal = terminalConsole(stdin, stdout);
  expect(terminal.input).toBe('lines');
  stdin.write('install\n\n  s\r\nb');
  stdin.end();
  expect(await keys(terminal, 5)).toEqual(['i', '\n', 's', 'b', undefined]);
  terminal.close();
});

test('on a terminal, raw mode: every key counts, escape sequences select nothing', async () => {
  const { stdin, stdout, modes } = streams(true);
  const terminal = terminalConsole(stdin, stdout);
  expect(terminal.input).toBe('keys');
  expect(modes).toEqual([true]);
  stdin.write('\u001b[A');
  stdin.write('is');
  expect(await keys(terminal, 2)).toEqual(['i', 's']);
  terminal.close();
  expect(modes).toEqual([true, false]);
});

test('a shell gets the terminal in cooked mode; keys typed before it are dropped', async () => {
  const { stdin, stdout, modes } = streams(true);
  const terminal = terminalConsole(stdin, stdout);
  stdin.write('xx');
  await new Promise((resolve) => setImmediate(resolve));
  terminal.release();
  expect(modes).toEqual([true, false]);
  terminal.reclaim();
  expect(modes).toEqual([true, false, true]);
  stdin.write('p');
  expect(await terminal.nextKey()).toBe('p');
  terminal.close();
});

test('the screen is cleared on a terminal only', () => {
  const tty = streams(true);
  terminalConsole(tty.stdin, tty.stdout).clear();
  const pipe = streams(false);
  terminalConsole(pipe.stdin, pipe.stdout).clear();
  expect(tty.shown()).toBe('\u001b[H\u001b[2J');
  expect(pipe.shown()).toBe('');
});
