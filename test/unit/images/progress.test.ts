/** What a build prints: steps, the tools' stage lines, throttled progress; on a TTY a status line. */
import { expect, test } from 'vitest';
import type { ImageEvent } from '../../../images/build.ts';
import { imageLogger } from '../../../images/progress.ts';

const step = { id: 'bootstrap', description: 'mmdebstrap bookworm', index: 1, total: 4 };

function render(events: ImageEvent[], tty: boolean, verbose = false): string {
  let text = '';
  let clock = 0;
  const log = imageLogger(
    { write: (t: string) => (text += t) },
    { tty, verbose, progressEveryMs: 5000, now: () => clock },
  );
  for (const event of events) {
    clock += 1000;
    log(event);
  }
  return text;
}

const events: ImageEvent[] = [
  { type: 'action-start', ...step },
  { type: 'output', tool: 'mmdebstrap', stream: 'stderr', line: 'I: downloading packages with apt...' },
  {
    type: 'output',
    tool: 'mmdebstrap',
    stream: 'stderr',
    line: 'Get:1 http://deb.debian.org/debian bookworm/main bash',
  },
  ...Array.from(
    { length: 12 },
    (_, i): ImageEvent => ({ type: 'progress', stage: 'archive', done: (i + 1) * 1048576, unit: 'bytes' }),
  ),
  { type: 'action-end', durationMs: 1500, ...step },
];

test('plain lines: steps and stage lines; other tool output only with --verbose; progress every 5 s', () => {
  const lines = render(events, false).trimEnd().split('\n');
  expect(lines).toEqual([
    '-> [1/4] mmdebstrap bookworm',
    '   I: downloading packages with apt...',
    '   archive: 1.0 MiB',
    '   archive: 6.0 MiB',
    '   archive: 11.0 MiB',
    'ok [1/4] mmdebstrap bookworm (1.5 s)',
  ]);
  expect(render(events, false, true)).toContain('Get:1 http://deb.debian.org');
});

test('a terminal gets one status line rewritten in place, under the step lines', () => {
  const text = render(events, true);
  expect(text).toContain('\r\x1b[2K   archive: 12.0 MiB');
  expect(text.split('\n').filter((line) => line.includes('archive:'))).toHaveLength(1);
  expect(text).toContain('ok [1/4] mmdebstrap bookworm (1.5 s)\n');
});
