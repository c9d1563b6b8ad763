/** Done: what was made, where cluster.yaml is, what to do next; Enter leaves the installer. */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, expect, test, vi } from 'vitest';
import { Done } from '../../../../installer/tui/screens/done.tsx';
import { startAt, startSized } from './app-at.tsx';
import { answered, feed, OUTCOME, walkTo } from './fixtures.ts';
import { expectFits, KEY, LARGE, lineWith, SERIAL, settle, type, unmountAll, until } from './terminal.tsx';

afterEach(() => {
  cleanup();
  unmountAll();
});

const done = () => (
  <Done
    outcome={OUTCOME}
    clusterName="lab"
    exampleBlade="node01"
    seconds={412}
    width={80}
    height={21}
    usb={{ state: 'idle' }}
    focus="continue"
  />
);

test('it says what was created, where cluster.yaml is, and the next steps', () => {
  const frame = render(done()).lastFrame() ?? '';
  expect(frame).toContain('Cluster lab is installed on /dev/sdb (40 GiB, IET VIRTUAL-DISK) in 412 s.');
  for (const line of OUTCOME.created) expect(frame).toContain(`- ${line}`);
  expect(frame).toContain('cluster.yaml is saved in vl_meta and /run/virtualinux/install/cluster.yaml');
  expect(lineWith(frame, '1.')).toContain('Power on the blades');
  expect(lineWith(frame, '2.')).toContain('To reset one blade to its factory state');
  expect(lineWith(frame, 'virtualinux reset')).toMatch(/^\s+virtualinux reset --spec cluster\.yaml node01$/);
});

function finished() {
  const review = answered(walkTo('review'));
  return answered(
    feed(
      review,
      { type: 'planned', plan: { lun: '/dev/sdb', verdict: 'fresh', lines: [], actions: [] } },
      { type: 'press', button: 'install' },
      { type: 'install-finished', outcome: OUTCOME, at: 1 },
    ),
  );
}

test('in the App, Enter on Done leaves the installer', async () => {
  const onExit = vi.fn();
  const { stdin, frame } = await startAt(finished(), { onExit });
  expect(frame()).toContain('Cluster lab is installed');
  await type(stdin, KEY.enter);
  await until(() => expect(onExit).toHaveBeenCalledOnce());
});

test('the USB stick: offered above Leave; saved, or why not, under it; the spec as the screens made it', async () => {
  const { stdin, frame, port } = await startAt(finished());
  expect(lineWith(frame(), 'USB stick')).toBe('  [ Save cluster.yaml to a USB stick ]');
  await type(stdin, KEY.up, KEY.enter);
  await until(() =>
    expect(frame()).toContain('cluster.yaml saved as cluster.yaml on /dev/sdc1; it can be unplugged'),
  );
  expect(port.saved).toHaveLength(1);
  expect(port.saved[0]).toMatch(/^cluster:\n {2}name: lab\n/);
  expect(port.saved[0]).toContain('secret: file:/etc/virtualinux/chap.secret');
  port.stick = undefined;
  await type(stdin, KEY.enter);
  await until(() =>
    expect(frame()).toContain('no USB stick to save cluster.yaml on: plug one in and press again'),
  );
  expect(frame()).toContain('> [ Save cluster.yaml to a USB stick ]');
});

test.each([SERIAL, LARGE])('it fits a %o terminal, even with a long list of what was made', async (size) => {
  const many = {
    ...OUTCOME,
    created: Array.from({ length: 40 }, (_, i) => `node_node${String(i + 1).padStart(2, '0')} 4 GiB`),
  };
  const terminal = await startSized(finished(), size);
  terminal.rerender(
    <Done
      outcome={many}
      clusterName="lab"
      exampleBlade="node01"
      width={size.columns}
      height={size.rows - 2}
      usb={{
        state: 'failed',
        failure: { message: 'no USB stick to save cluster.yaml on', hint: 'plug one in' },
      }}
      focus="usb"
    />,
  );
  await settle();
  const frame = terminal.lastFrame();
  expectFits(frame, size, true);
  for (const text of [
    'Cluster lab is installed',
    'node_node01',
    'cluster.yaml is saved',
    'Power on the blades',
    'virtualinux reset',
    '> [ Save cluster.yaml to a USB stick ]',
    '! no USB stick to save cluster.yaml on: plug one in',
    '[ Leave the installer ]',
  ]) {
    expect(frame).toContain(text);
  }
});
