/**
 * The installer's console over a process's stdin/stdout. On a TTY (the DVD's consoles) it reads
 * single keys in raw mode, so one keystroke selects; on anything else (a pipe in tests, a dumb
 * serial client) it reads lines and takes the first character of each.
 */
import type { InstallerConsole } from './session.ts';

export interface TerminalConsole extends InstallerConsole {
  /** restores the terminal and stops reading, so the process can exit */
  close(): void;
}

export function terminalConsole(stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): TerminalConsole {
  const raw = stdin.isTTY === true;
  const queue: string[] = [];
  let ended = false;
  let waiting: ((key: string | undefined) => void) | undefined;
  let partialLine = '';

  const deliver = () => {
    if (!waiting) return;
    if (queue.length > 0) {
      const resolve = waiting;
      waiting = undefined;
      resolve(queue.shift());
    } else if (ended) {
      const resolve = waiting;
      waiting = undefined;
      resolve(undefined);
    }
  };

  const onData = (chunk: string) => {
    if (raw) {
      // an escape sequence (arrow keys, function keys) arrives as one chunk: it selects nothing
      if (!chunk.startsWith('\u001b')) queue.push(...chunk);
    } else {
      const lines = (partialLine + chunk).split('\n');
      partialLine = lines.pop() ?? '';
      for (const line of lines) queue.push(firstKey(line));
    }
    deliver();
  };
  const onEnd = () => {
    if (partialLine !== '') queue.push(firstKey(partialLine));
    partialLine = '';
    ended = true;
    deliver();
  };

  const listen = () => {
    if (raw) stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  };
  const stopListening = () => {
    stdin.off('data', onData);
    stdin.pause();
    if (raw) stdin.setRawMode(false);
  };

  stdin.setEncoding('utf8');
  stdin.on('end', onEnd);
  // a hung-up TTY reports EIO, a closed pipe EPIPE: the session ends, systemd starts us again
  stdin.on('error', onEnd);
  stdout.on('error', onEnd);
  listen();

  return {
    input: raw ? 'keys' : 'lines',
    write: (text) => {
      stdout.write(text);
    },
    nextKey: () =>
      new Promise((resolve) => {
        waiting = resolve;
        deliver();
      }),
    release: () => {
      stopListening();
      // keys typed before the shell started were meant for the menu, not for the shell
      queue.length = 0;
    },
    reclaim: () => {
      queue.length = 0;
      listen();
    },
    clear: () => {
      if (stdout.isTTY) stdout.write('\u001b[H\u001b[2J');
    },
    close: () => {
      stopListening();
      stdin.off('end', onEnd);
      stdin.off('error', onEnd);
      // later writes to a broken stdout are dropped, not thrown
      stdout.off('error', onEnd);
      stdout.on('error', () => {});
    },
  };
}

/** In line mode a line stands for its first non-blank character; an empty line for Enter. */
function firstKey(line: string): string {
  const trimmed = line.trim();
  return trimmed === '' ? '\n' : ([...trimmed][0] ?? '\n');
}
