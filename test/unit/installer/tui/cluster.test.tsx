/** Cluster: name, domain, network; blades by range and first MAC, by enlisted MACs, by import. */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, test } from 'vitest';
import { Cluster, type ClusterProps } from '../../../../installer/tui/screens/cluster.tsx';
import { startAt, startSized } from './app-at.tsx';
import { feed, walkTo } from './fixtures.ts';
import { expectFits, KEY, LARGE, lineWith, SERIAL, type, unmountAll } from './terminal.tsx';

afterEach(() => {
  cleanup();
  unmountAll();
});

const props = (more: Partial<ClusterProps> = {}): ClusterProps => ({
  name: 'lab',
  domain: '',
  network: '10.42.0.0/24',
  nodes: [{ name: 'node[01-03]', mac: '52:54:00:42:00:01' }],
  bladeCursor: 0,
  entryProblems: [],
  listProblems: [],
  range: '',
  firstMac: '',
  enlisted: [],
  enlistCursor: 0,
  nextName: 'node04',
  focus: 'cluster.name',
  width: 80,
  height: 21,
  ...more,
});

/** the Cluster screen of the walk, with its blades taken back out */
const empty = () =>
  feed(
    walkTo('images'),
    { type: 'back' },
    { type: 'remove', index: 0 },
    { type: 'focus-on', item: 'cluster.name' },
  );

describe('what it shows', () => {
  test('each entry with the blades and MACs it expands to', () => {
    const frame = render(<Cluster {...props()} />).lastFrame() ?? '';
    expect(lineWith(frame, 'node[01-03]')).toContain(
      '3 blades, node01 … node03, 52:54:00:42:00:01 … 52:54:00:42:00:03',
    );
  });

  test('a range being typed shows what it will add, with the spec range expansion', () => {
    const frame =
      render(<Cluster {...props({ range: 'node[04-16]', firstMac: '52:54:00:42:00:04' })} />).lastFrame() ??
      '';
    expect(frame).toContain('-> 13 blades, node04 … node16, 52:54:00:42:00:04 … 52:54:00:42:00:10');
  });

  test('the spec problems of an entry show under its row', () => {
    const frame =
      render(
        <Cluster
          {...props({
            entryProblems: [
              ['mac: MAC 52:54:00:42:00:02 of node04 is also the MAC of node02 (expected one MAC per NIC)'],
            ],
          })}
        />,
      ).lastFrame() ?? '';
    const lines = frame.split('\n');
    const row = lines.findIndex((l) => l.includes('node[01-03]'));
    expect(lines[row + 1]).toContain('! mac: MAC 52:54:00:42:00:02 of node04 is also the MAC of node02');
  });
});

describe('keys', () => {
  test("a cluster name the spec refuses shows the spec's message at once", async () => {
    const { stdin, frame } = await startAt(walkTo('cluster'));
    await type(stdin, 'L', 'a', 'b');
    expect(frame()).toContain(
      '! "Lab" is not a cluster name (expected e.g. lab (lower case and digits, at most 16))',
    );
    await type(stdin, KEY.backspace, KEY.backspace, KEY.backspace, ...'lab');
    expect(frame()).not.toContain('is not a cluster name');
  });

  test('a range that does not expand is refused at Add, with the reason; a good one becomes a row', async () => {
    const { stdin, frame } = await startAt(empty());
    await type(
      stdin,
      KEY.tab,
      KEY.tab,
      KEY.tab,
      KEY.tab,
      ...'node[01-',
      KEY.tab,
      ...'52:54:00:42:00:01',
      KEY.enter,
      KEY.enter,
    );
    expect(frame()).toContain('! "node[01-" has "[" without "]" (expected e.g. node[01-16])');
    expect(frame()).toContain('Blades (none yet');
    await type(stdin, ...'16]', KEY.tab, KEY.tab, KEY.enter);
    expect(frame()).not.toContain('without "]"');
    expect(lineWith(frame(), 'node[01-16]')).toContain('16 blades, node01 … node16');
    expect(lineWith(frame(), 'New blades')).toMatch(/New blades\s+_$/);
  });

  test('on a blade, Del removes it and Enter puts it back into the fields', async () => {
    const { stdin, frame } = await startAt(feed(walkTo('images'), { type: 'back' }));
    await type(stdin, KEY.tab, KEY.tab, KEY.tab, KEY.enter);
    expect(frame()).toContain('Blades (none yet');
    expect(lineWith(frame(), 'New blades')).toContain('node[01-03]_');
    await type(stdin, KEY.tab, KEY.tab, KEY.enter, KEY.shiftTab);
    expect(lineWith(frame(), 'node[01-03]')).toMatch(/^> node\[01-03\]/);
    await type(stdin, KEY.backspace);
    expect(frame()).toContain('Blades (none yet');
  });

  test('a MAC that appeared on the network is added as the next blade with Enter', async () => {
    const { stdin, frame } = await startAt(feed(walkTo('images'), { type: 'back' }), {
      enlisted: ['52:54:00:aa:bb:cc'],
    });
    expect(frame()).toContain('52:54:00:aa:bb:cc  -> node04');
    await type(stdin, KEY.shiftTab, KEY.shiftTab, KEY.enter);
    expect(lineWith(frame(), 'node04')).toContain('1 blade, 52:54:00:aa:bb:cc');
    expect(frame()).not.toContain('New MACs');
  });

  test('blades given as CSV text are imported with Enter on the import button', async () => {
    const text = 'name,mac\nnode01,52:54:00:42:00:01\nnode02,52:54:00:42:00:02\n';
    const { stdin, frame } = await startAt(empty(), { importText: { label: '/media/usb/blades.csv', text } });
    await type(stdin, KEY.shiftTab, KEY.shiftTab, KEY.enter);
    expect(frame()).toContain('2 blades imported from /media/usb/blades.csv');
    expect(lineWith(frame(), 'node02')).toContain('52:54:00:42:00:02');
  });

  test('Continue with no blade stays, with the spec message under the list', async () => {
    const { stdin, frame } = await startAt(empty());
    await type(stdin, KEY.shiftTab, KEY.enter);
    expect(frame()).toContain('3/5 Cluster');
    expect(frame()).toContain('! expected at least one blade');
  });
});

test.each([SERIAL, LARGE])(
  'it fits a %o terminal with many entries, enlisted MACs and an import',
  async (size) => {
    let state = feed(walkTo('images'), { type: 'back' });
    for (let rack = 1; rack <= 12; rack += 1) {
      state = feed(
        state,
        { type: 'edit', field: 'range', value: `r${rack}n[01-04]` },
        { type: 'edit', field: 'firstMac', value: `52:54:00:${String(rack).padStart(2, '0')}:00:01` },
        { type: 'press', button: 'add-blades' },
      );
    }
    const terminal = await startSized(state, size, {
      enlisted: ['52:54:00:aa:bb:01', '52:54:00:aa:bb:02', '52:54:00:aa:bb:03'],
      importText: { label: 'blades.csv', text: 'n1,52:54:00:aa:00:01' },
    });
    const frame = terminal.lastFrame();
    expectFits(frame, size);
    for (const text of [
      'Cluster name',
      'Cluster network',
      'Blades (13 entries',
      'New blades',
      'First MAC',
      '[ Add blades ]',
      'New MACs',
      '[ Import blades from blades.csv ]',
      '[ Continue ]',
    ]) {
      expect(frame).toContain(text);
    }
  },
);
