/** Progress: a line per action, the transfer of an image write, time so far and left, the log, Ctrl-C. */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, test } from 'vitest';
import type { InstallEvent } from '../../../../installer/engine/install.ts';
import {
  formatDuration,
  type InstallProgress,
  onInstallEvent,
  progressBar,
  startProgress,
} from '../../../../installer/tui/progress.ts';
import { Progress } from '../../../../installer/tui/screens/progress.tsx';
import { startAt, startSized } from './app-at.tsx';
import { answered, feed, RecordedPort, walkTo } from './fixtures.ts';
import { expectFits, KEY, LARGE, lineWith, SERIAL, type, unmountAll, until } from './terminal.tsx';

afterEach(() => {
  cleanup();
  unmountAll();
});

const GiB = 2 ** 30;
const partition = { id: 'partition', description: 'partition the LUN', index: 1, total: 3 };
const image = { id: 'image:node', description: 'write image node onto img_node', index: 2, total: 3 };
const blade = { id: 'blade:node01', description: "create blade node01's writable layer", index: 3, total: 3 };

/** an install two actions in: the partitions done, the node image half written at 1 GiB/s */
const EVENTS: [number, InstallEvent][] = [
  [1000, { type: 'plan-start', title: 'install cluster lab', actions: 3, dryRun: false }],
  [1000, { type: 'action-start', ...partition }],
  [
    1100,
    {
      type: 'command-start',
      command: { tool: 'sgdisk', args: ['--zap-all', '/dev/sdb'], stdin: false },
      pid: 7,
    },
  ],
  [1200, { type: 'output', tool: 'sgdisk', stream: 'stdout', line: 'GPT data structures destroyed!' }],
  [1300, { type: 'action-end', durationMs: 300, ...partition }],
  [1300, { type: 'action-start', ...image }],
  [7000, { type: 'progress', stage: 'unpack', done: 1 * GiB, total: 4 * GiB, unit: 'bytes' }],
  [8000, { type: 'progress', stage: 'unpack', done: 2 * GiB, total: 4 * GiB, unit: 'bytes' }],
];

const replayed = (events = EVENTS): InstallProgress =>
  events.reduce((p, [at, event]) => onInstallEvent(p, event, at), startProgress([partition, image, blade]));

const screen = (progress: InstallProgress) => (
  <Progress progress={progress} title="Installing cluster lab on /dev/sdb" width={80} height={21} />
);

describe('what it shows', () => {
  test('each action with its state and time, the transfer with bar, bytes, rate and time left', () => {
    const frame = render(screen(replayed())).lastFrame() ?? '';
    expect(frame).toContain('Installing cluster lab on /dev/sdb');
    expect(frame).toContain('1 of 3 actions done, 0:07 so far');
    expect(lineWith(frame, 'partition the LUN')).toMatch(/done\s+1\. partition the LUN\s+0\.3 s/);
    expect(lineWith(frame, 'img_node')).toMatch(/RUN\s+2\. write image node onto img_node/);
    expect(lineWith(frame, 'writable layer')).toMatch(/wait\s+3\./);
    expect(lineWith(frame, 'of 4 GiB')).toMatch(
      /\[#+\.+\] 2 GiB of 4 GiB {2}1 GiB\/s {2}0:02 left {2}\(unpack\)/,
    );
  });

  test('the log pane shows the commands and their output only when asked', () => {
    expect(render(screen(replayed())).lastFrame()).not.toContain('GPT data structures destroyed!');
    const frame = render(screen({ ...replayed(), showLog: true })).lastFrame() ?? '';
    expect(frame).toContain('$ sgdisk --zap-all /dev/sdb');
    expect(frame).toContain('GPT data structures destroyed!');
  });

  test('a failed action says what failed, the hint, and that installing again completes it', () => {
    const failed = onInstallEvent(
      replayed(),
      { type: 'action-failed', message: 'tar exited 2', ...image },
      9000,
    );
    const frame =
      render(
        screen({
          ...failed,
          state: 'failed',
          failure: { message: 'writing img_node failed', hint: 'see the log (l)' },
        }),
      ).lastFrame() ?? '';
    expect(lineWith(frame, 'img_node')).toMatch(/FAIL\s+2\./);
    expect(frame).toContain('! The install failed: writing img_node failed');
    expect(frame).toContain('see the log (l)');
    expect(frame).toContain('Installing again completes it');
  });
});

describe('pure helpers', () => {
  test('durations, bars', () => {
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(progressBar(1, 4, 10)).toBe('[##......]');
    expect(progressBar(5, 4, 6)).toBe('[####]');
  });
});

describe('in the App', () => {
  async function installing() {
    const port = new RecordedPort(EVENTS.map(([, event]) => event));
    const review = walkTo('review');
    if (review.request?.kind !== 'plan') throw new Error('expected a plan request');
    const plan = { ...(await port.plan(review.request.request)), actions: [partition, image, blade] };
    const app = await startAt(feed(answered(review), { type: 'planned', plan }), { port });
    await type(app.stdin, KEY.enter);
    await until(() => expect(app.frame()).toContain('RUN'));
    return app;
  }

  test('the events of the engine show as they come; l shows and hides the log', async () => {
    const { stdin, frame } = await installing();
    expect(lineWith(frame(), 'partition the LUN')).toMatch(/done/);
    await type(stdin, 'l');
    expect(frame()).toContain('GPT data structures destroyed!');
    await type(stdin, 'l');
    expect(frame()).not.toContain('GPT data structures destroyed!');
  });

  test('Ctrl-C asks first; n goes on; y stops the engine and says how to complete the install', async () => {
    const { stdin, frame, port } = await installing();
    await type(stdin, KEY.ctrlC);
    expect(frame()).toContain('Stop the install after the running command? y stops, any other key goes on.');
    await type(stdin, 'n');
    expect(frame()).not.toContain('Stop the install');
    expect(port.applySignal?.aborted).toBe(false);
    await type(stdin, KEY.ctrlC, 'y');
    await until(() => expect(port.applySignal?.aborted).toBe(true));
    await until(() => expect(frame()).toContain('! Stopped: stopped by the administrator'));
    expect(frame()).toContain('Installing again completes it');
  });

  test('when the engine is done, the Done screen follows', async () => {
    const { frame, port } = await installing();
    port.finish();
    await until(() => expect(frame()).toContain('Cluster lab is installed on /dev/sdb'));
  });
});

test.each([SERIAL, LARGE])(
  'it fits a %o terminal with the running action, the transfer and the log',
  async (size) => {
    const review = walkTo('review');
    if (review.request?.kind !== 'plan') throw new Error('expected a plan request');
    const many = Array.from({ length: 30 }, (_, i) => ({
      id: `a${i}`,
      description: `action number ${i + 1} of a long plan`,
    }));
    let state = feed(
      answered(review),
      {
        type: 'planned',
        plan: { lun: '/dev/sdb (40 GiB)', verdict: 'fresh', lines: [], actions: [...many, image] },
      },
      { type: 'press', button: 'install' },
    );
    for (const [at, event] of EVENTS) state = feed(state, { type: 'install-event', event, at });
    state = answered(feed(state, { type: 'toggle-log' }));
    const terminal = await startSized(state, size);
    const frame = terminal.lastFrame();
    expectFits(frame, size);
    for (const text of [
      'RUN',
      'write image node onto img_node',
      '2 GiB of 4 GiB',
      '0:02 left',
      'GPT data structures destroyed!',
    ]) {
      expect(frame).toContain(text);
    }
  },
);
