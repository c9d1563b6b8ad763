/** SAN: portals, CHAP with a masked secret, the LUNs and what is on them now. */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, test } from 'vitest';
import { San, type SanProps } from '../../../../installer/tui/screens/san.tsx';
import { startAt, startSized } from './app-at.tsx';
import { DISCOVERY, FOREIGN_LUN, feed, SECRET, walkTo } from './fixtures.ts';
import { expectFits, KEY, LARGE, lineWith, SERIAL, type, unmountAll, until } from './terminal.tsx';

afterEach(() => {
  cleanup();
  unmountAll();
});

const props = (more: Partial<SanProps> = {}): SanProps => ({
  portals: '10.0.2.2:3260',
  chapUser: 'lab',
  secretLength: SECRET.length,
  discovery: { state: 'seen', value: DISCOVERY },
  chosen: undefined,
  cursor: 1,
  transport: 'tcp',
  focus: 'luns',
  width: 80,
  height: 21,
  ...more,
});

describe('what it shows', () => {
  test('each LUN with its size, vendor and model, and what is on it now', () => {
    const frame =
      render(<San {...props({ chosen: { target: FOREIGN_LUN.target, lun: 1 } })} />).lastFrame() ?? '';
    expect(frame).toContain('LUNs of target iqn.2026-11.org.virtualinux:lab.san');
    expect(lineWith(frame, '(*)')).toMatch(/\(\*\)\s+1\s+40 GiB\s+IET VIRTUAL-DISK\s+empty/);
    expect(lineWith(frame, 'FOREIGN')).toMatch(
      /^> \( \)\s+2\s+40 GiB\s+IET VIRTUAL-DISK\s+FOREIGN DATA: a GPT partition table/,
    );
  });

  test("the LUN under the cursor: its foreign data, item by item, in the engine's words", () => {
    const frame = render(<San {...props()} />).lastFrame() ?? '';
    for (const line of FOREIGN_LUN.contents.slice(2)) expect(frame.replace(/\n\s+/g, ' ')).toContain(line);
    expect(frame).toContain('partition 1 "data" (10 GiB, Linux filesystem): an ext4 filesystem');
    expect(frame).toContain('labelled "data"');
  });

  test('the secret is masked: as many stars as characters, never a character of it', () => {
    const frame = render(<San {...props({ focus: 'secret' })} />).lastFrame() ?? '';
    expect(lineWith(frame, 'CHAP secret')).toMatch(/CHAP secret\s+\*{16}_$/);
  });

  test('a failed discovery says why, with the hint', () => {
    const frame =
      render(
        <San
          {...props({
            discovery: {
              state: 'failed',
              failure: { message: 'login to 10.0.2.2:3260 failed', hint: 'check the CHAP user' },
            },
          })}
        />,
      ).lastFrame() ?? '';
    expect(frame).toContain('! login to 10.0.2.2:3260 failed');
    expect(frame).toContain('check the CHAP user');
  });
});

describe('keys and the secret', () => {
  test('every character typed into the secret field reaches the engine and no frame', async () => {
    const { stdin, frames, frame, port } = await startAt(
      feed(walkTo('san'), { type: 'edit', field: 'san.chap.user', value: 'lab' }),
    );
    await type(stdin, KEY.tab, KEY.tab, ...SECRET, '?', '!');
    expect(lineWith(frame(), 'CHAP secret')).toContain('*'.repeat(SECRET.length + 2));
    // ? and ! are part of a secret there, not help and a shell
    expect(frame()).not.toContain('Help (');
    await type(stdin, KEY.backspace, KEY.backspace, KEY.tab, KEY.enter);
    await until(() => expect(frame()).toContain('FOREIGN DATA'));
    expect(port.discoverRequests).toEqual([
      {
        portals: ['10.0.2.2:3260'],
        chap: { user: 'lab', secret: SECRET },
        fabric: { sif: 'eth0', modules: ['virtio_net'] },
      },
    ]);
    expect(frames.length).toBeGreaterThan(SECRET.length);
    for (const f of frames) {
      expect(f).not.toContain(SECRET);
      expect(f).not.toContain(SECRET.slice(0, 5));
    }
  });

  test('Discover with a bad portal shows the spec message there and asks the SAN nothing', async () => {
    const { stdin, frame, port } = await startAt(walkTo('san'));
    await type(stdin, ...':99999', KEY.tab, KEY.tab, KEY.tab, KEY.enter);
    expect(frame()).toContain(
      '! "10.0.2.2:3260:99999" is not a portal (expected ADDRESS or ADDRESS:PORT, e.g. 10.0.2.2:3260)',
    );
    expect(port.discoverRequests).toEqual([]);
  });

  test('down and Enter choose the foreign LUN; Tab and Space switch the transport; Esc goes back', async () => {
    const { stdin, frame } = await startAt(
      feed(
        walkTo('san'),
        { type: 'press', button: 'discover' },
        { type: 'san-discovered', discovery: DISCOVERY },
      ),
    );
    expect(lineWith(frame(), '40 GiB')).toMatch(/^> \( \)\s+1/);
    await type(stdin, KEY.down, KEY.enter);
    expect(lineWith(frame(), 'FOREIGN')).toMatch(/^> \(\*\)\s+2/);
    await type(stdin, KEY.tab, KEY.space);
    expect(lineWith(frame(), 'Transport')).toMatch(/^> Transport\s+\( \) tcp {2}\(\*\) iser/);
    await type(stdin, KEY.escape);
    expect(frame()).toContain('1/5 Network');
  });
});

test.each([SERIAL, LARGE])('it fits a %o terminal with the foreign data in view', async (size) => {
  const state = feed(
    walkTo('cluster', FOREIGN_LUN),
    { type: 'back' },
    { type: 'focus-on', item: 'luns' },
    { type: 'move', delta: 1 },
  );
  const terminal = await startSized(state, size);
  const frame = terminal.lastFrame();
  expectFits(frame, size);
  for (const text of [
    'Portals',
    'CHAP secret',
    'FOREIGN DATA',
    'ext4 filesystem',
    'LVM volume group vg0',
    '[ Continue ]',
  ]) {
    expect(frame).toContain(text);
  }
  expect(frame).not.toContain(SECRET);
});
