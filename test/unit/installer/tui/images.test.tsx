/** Images: the DVD's virtual-cluster images, taken or left; the volumes and their total against the LUN. */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, test } from 'vitest';
import { Images, type ImagesProps } from '../../../../installer/tui/screens/images.tsx';
import { startAt, startSized } from './app-at.tsx';
import { DISCOVERY, FRESH_LUN, feed, walkTo } from './fixtures.ts';
import { expectFits, KEY, LARGE, lineWith, SERIAL, type, unmountAll } from './terminal.tsx';

afterEach(() => {
  cleanup();
  unmountAll();
});

const GiB = 2 ** 30;

describe('what it shows', () => {
  test('each image with its size on the DVD and unpacked, and whether it is taken', async () => {
    const { frame } = await startAt(walkTo('images'));
    expect(lineWith(frame(), 'debian-12 ')).toMatch(
      /^> \[x\] debian-12\s+205\.9 MiB on DVD\s+750\.7 MiB unpacked/,
    );
    expect(lineWith(frame(), 'ubuntu-24.04 ')).toMatch(
      /\[x\] ubuntu-24\.04\s+287\.1 MiB on DVD\s+1\.1 GiB unpacked/,
    );
  });

  test('the volumes of the engine layout with size and purpose, and the total against the LUN', async () => {
    const { frame } = await startAt(walkTo('images'));
    expect(lineWith(frame(), 'VLBOOT')).toMatch(/VLBOOT\s+512 MiB\s+GRUB, kernels/);
    expect(lineWith(frame(), 'img_node')).toMatch(/img_node\s+4 GiB\s+the blades' OS image/);
    expect(lineWith(frame(), 'node_*')).toMatch(
      /node_\* \(3\)\s+12 GiB\s+writable layers of node01 … node03/,
    );
    expect(lineWith(frame(), 'shared_home')).toMatch(/8 GiB\s+shared \/home over NFS/);
    expect(lineWith(frame(), 'total')).toMatch(/total\s+30\.8 GiB\s+of the LUN's 40 GiB: 9\.2 GiB left/);
  });

  test('a layout the LUN cannot hold says by how much', async () => {
    const small = { ...FRESH_LUN, bytes: 16 * GiB };
    const state = feed(
      walkTo('images'),
      { type: 'back' },
      { type: 'back' },
      { type: 'san-discovered', discovery: { ...DISCOVERY, luns: [small] } },
      { type: 'choose', list: 'luns', index: 0 },
      { type: 'next' },
      { type: 'next' },
    );
    const { frame, stdin } = await startAt(state);
    expect(lineWith(frame(), 'total')).toContain('! the LUN has 16 GiB: 14.8 GiB short');
    await type(stdin, KEY.tab, KEY.enter);
    expect(frame()).toContain('4/5 Images');
    expect(frame()).toContain('! san.size: the layout needs 30.6 GiB but the LUN is 16 GiB');
  });

  test('a layout the engine refuses shows its refusal', () => {
    const props: ImagesProps = {
      offers: [],
      chosen: [],
      cursor: 0,
      preview: {
        ok: false,
        message: "the spec's node image is node, but the DVD carries no image node (it has: none)",
      },
      width: 80,
      height: 21,
    };
    const frame = render(<Images {...props} />).lastFrame() ?? '';
    expect(frame).toContain('this DVD carries no virtual-cluster image');
    expect(frame).toContain("! the spec's node image is node, but the DVD carries no image node");
  });
});

test('Space leaves an image out, and the total drops by its volume; Space again takes it back', async () => {
  const { stdin, frame } = await startAt(walkTo('images'));
  await type(stdin, KEY.down, KEY.space);
  expect(lineWith(frame(), 'rocky-9 ')).toMatch(/^> \[ \] rocky-9/);
  expect(frame()).not.toContain('img_rocky-9');
  expect(lineWith(frame(), 'total')).toContain('28.8 GiB');
  await type(stdin, KEY.enter);
  expect(lineWith(frame(), 'total')).toContain('30.8 GiB');
  await type(stdin, KEY.tab, KEY.enter);
  expect(frame()).toContain('5/5 Review');
});

test.each([SERIAL, LARGE])('it fits a %o terminal with the whole layout in view', async (size) => {
  const terminal = await startSized(walkTo('images'), size);
  const frame = terminal.lastFrame();
  expectFits(frame, size);
  for (const text of [
    'debian-12',
    'rocky-9',
    'ubuntu-24.04',
    'VLBOOT',
    'vl_meta',
    'node_* (3)',
    'lvmlock',
    'total',
    '[ Continue ]',
  ]) {
    expect(frame).toContain(text);
  }
});
