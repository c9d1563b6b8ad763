import { expect, test } from 'vitest';
import type { ExecEvent } from '../../../../core/exec/events.ts';
import { EventBus } from '../../../../core/exec/events.ts';
import { formatExecEvent, lineLogger } from '../../../../core/exec/line-log.ts';

const command = { tool: 'mksquashfs', args: ['root', 'live.squashfs', '-comp', 'zstd'], stdin: false };

test.each<[ExecEvent, string]>([
  [{ type: 'dry-run', command }, '(dry run) $ mksquashfs root live.squashfs -comp zstd'],
  [{ type: 'command-start', command, pid: 42 }, '$ mksquashfs root live.squashfs -comp zstd'],
  [
    { type: 'output', tool: 'mksquashfs', stream: 'stdout', line: 'Parallel mksquashfs' },
    '  | Parallel mksquashfs',
  ],
  [{ type: 'output', tool: 'mksquashfs', stream: 'stderr', line: 'warning' }, '  ! warning'],
  [
    { type: 'command-end', tool: 'mksquashfs', exitCode: 0, timedOut: false, durationMs: 34_200 },
    '  mksquashfs exited 0 after 34.2 s',
  ],
  [
    {
      type: 'command-end',
      tool: 'sleep',
      exitCode: undefined,
      signal: 'SIGTERM',
      timedOut: true,
      durationMs: 250,
    },
    '  sleep timed out, killed after 250 ms',
  ],
  [
    {
      type: 'progress',
      stage: 'squashfs',
      done: 512 * 1024 ** 2,
      total: 2 * 1024 ** 3,
      unit: 'bytes',
      rate: 30 * 1024 ** 2,
    },
    '  ~ squashfs 25% (512.0 MiB of 2.0 GiB, 30.0 MiB/s)',
  ],
  [{ type: 'progress', stage: 'packages', done: 7, unit: 'items' }, '  ~ packages (7 items)'],
])('%j is logged as one plain line', (event, line) => {
  expect(formatExecEvent(event)).toBe(line);
});

test('the logger writes exactly one line per event', () => {
  let written = '';
  const bus = new EventBus<ExecEvent>();
  bus.on(lineLogger({ write: (text: string) => (written += text) }));
  bus.emit({ type: 'command-start', command, pid: 1 });
  bus.emit({ type: 'output', tool: 'mksquashfs', stream: 'stdout', line: 'done' });
  expect(written).toBe('$ mksquashfs root live.squashfs -comp zstd\n  | done\n');
});

test('an unsubscribed listener hears nothing more', () => {
  const heard: ExecEvent[] = [];
  const bus = new EventBus<ExecEvent>();
  const off = bus.on((event) => heard.push(event));
  bus.emit({ type: 'dry-run', command });
  off();
  bus.emit({ type: 'dry-run', command });
  expect(heard).toHaveLength(1);
});
