/** Review: the engine's plan in its own words, the problems still standing, and the consent. */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, test } from 'vitest';
import { Review, type ReviewProps } from '../../../../installer/tui/screens/review.tsx';
import { startAt, startSized } from './app-at.tsx';
import { FOREIGN_LUN, walkTo } from './fixtures.ts';
import { expectFits, KEY, LARGE, linesOf, lineWith, SERIAL, type, unmountAll, until } from './terminal.tsx';

afterEach(() => {
  cleanup();
  unmountAll();
});

/** the App on the Review of the walk: it asks the port for the plan, as it would the engine */
async function reviewing(lun = walkTo('review').lun) {
  const app = await startAt(walkTo('review', lun));
  await until(() => expect(app.frame()).toContain('The plan ('));
  return app;
}

/** the install started: the port was asked to apply, and the screen follows it */
const started = (app: Awaited<ReturnType<typeof reviewing>>) =>
  until(() => {
    expect(app.port.calls).toContain('apply');
    expect(app.frame()).toContain('Installing cluster lab on /dev/loop');
  });

describe('the plan', () => {
  test('the App asks the engine for the plan of the spec built, and shows its lines', async () => {
    const { frame, port } = await reviewing();
    expect(port.planRequests).toHaveLength(1);
    expect(port.planRequests[0]?.spec.cluster.name).toBe('lab');
    expect(port.planRequests[0]?.wipe).toBe(false);
    expect(frame()).toContain('LUN /dev/loop0 (40 GiB, IET VIRTUAL-DISK): empty; a new install');
    expect(frame()).toContain('layout: volume group vl_lab (shared, lvmlockd + sanlock), 30.8 GiB needed');
    expect(lineWith(frame(), 'Install')).toMatch(/^> \[ Install \]/);
  });

  test('up and down read the whole plan, down to its last action', async () => {
    const { frame, stdin } = await reviewing();
    const last = ' 15. write cluster.json and install-report.json to vl_meta';
    expect(frame()).not.toContain(last);
    await type(stdin, KEY.up, ...Array.from({ length: 30 }, () => KEY.down));
    expect(frame()).toContain(last);
    expect(frame()).not.toContain('layout: volume group vl_lab');
  });

  test('while the plan is asked for, and when the engine refuses', () => {
    const base: ReviewProps = {
      plan: { state: 'asking' },
      cursor: 0,
      clusterName: 'lab',
      erases: false,
      confirm: '',
      standing: [],
      focus: 'install',
      width: 80,
      height: 21,
    };
    expect(render(<Review {...base} />).lastFrame()).toContain('Planning: reading the LUN ...');
    const refused =
      render(
        <Review
          {...base}
          plan={{
            state: 'failed',
            failure: { message: 'the LUN /dev/sdb is too small for cluster lab', hint: 'use a larger LUN' },
          }}
        />,
      ).lastFrame() ?? '';
    expect(refused).toContain('! The install is refused: the LUN /dev/sdb is too small for cluster lab');
    expect(refused).toContain('use a larger LUN');
  });

  test('problems still standing are listed with their screen', () => {
    const frame =
      render(
        <Review
          plan={{ state: 'idle' }}
          cursor={0}
          clusterName=""
          erases={false}
          confirm=""
          standing={['Cluster, Cluster name: missing (expected a cluster name)']}
          focus="install"
          width={80}
          height={21}
        />,
      ).lastFrame() ?? '';
    expect(frame).toContain('No plan yet: the spec has problems (below)');
    expect(frame).toContain('! Cluster, Cluster name: missing (expected a cluster name)');
  });
});

describe('the consent', () => {
  test('a fresh LUN: Enter on Install starts it', async () => {
    const app = await reviewing();
    await type(app.stdin, KEY.enter);
    await started(app);
  });

  test("a LUN with foreign data is erased only when the cluster's name is typed", async () => {
    const app = await reviewing(FOREIGN_LUN);
    const { frame, stdin, port } = app;
    expect(port.planRequests[0]?.wipe).toBe(true);
    expect(frame()).toContain('everything on it will be ERASED');
    expect(frame()).toContain('This ERASES what the LUN holds. Type the cluster name (lab) to go on:');
    await type(stdin, ...'yes', KEY.enter);
    expect(frame()).toContain('! type the cluster name, lab, to erase the LUN and install');
    expect(port.calls).not.toContain('apply');
    // Install with the wrong name is refused the same way, and the focus goes back to the name
    await type(stdin, KEY.tab, KEY.enter);
    expect(port.calls).not.toContain('apply');
    expect(lineWith(frame(), 'Cluster name')).toMatch(/^> Cluster name\s+yes_/);
    await type(stdin, KEY.backspace, KEY.backspace, KEY.backspace, ...'lab', KEY.enter);
    await started(app);
  });

  test('Esc goes back to the images; coming back plans again', async () => {
    const { frame, stdin, port } = await reviewing();
    await type(stdin, KEY.escape);
    expect(frame()).toContain('4/5 Images');
    await type(stdin, KEY.tab, KEY.enter);
    await until(() => expect(port.planRequests).toHaveLength(2));
  });
});

test.each([SERIAL, LARGE])(
  'it fits a %o terminal with the erase warning and the consent in view',
  async (size) => {
    const terminal = await startSized(walkTo('review', FOREIGN_LUN), size);
    await until(() => expect(terminal.lastFrame()).toContain('[ Install ]'));
    await until(() => expect(terminal.lastFrame()).toContain('The plan ('));
    const frame = terminal.lastFrame();
    expectFits(frame, size);
    for (const text of [
      'ERASED',
      'it holds:',
      'partition 1 "data"',
      'Type the cluster name (lab)',
      '[ Install ]',
    ]) {
      expect(frame).toContain(text);
    }
    if (size === LARGE) expect(linesOf(frame).some((l) => /\d+ actions:/.test(l))).toBe(true);
  },
);
