/** The App: the whole dialogue typed on a keyboard, and the keys every screen shares. */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { App } from '../../../../installer/tui/app.tsx';
import { startAt } from './app-at.tsx';
import { feed, IMAGES, RecordedPort, SECRET, walkTo } from './fixtures.ts';
import { KEY, lineWith, settle, type, unmountAll, until } from './terminal.tsx';

afterEach(() => {
  cleanup();
  unmountAll();
});

// about 150 keys, each given time to render: generous on a machine busy with other work
test('from Welcome to Done with the keyboard only, on a fresh LUN', { timeout: 30_000 }, async () => {
  const port = new RecordedPort();
  const onExit = vi.fn();
  const {
    stdin: input,
    lastFrame,
    frames,
  } = render(<App port={port} version="0.1.0" images={IMAGES} env={{}} onExit={onExit} />);
  const frame = () => lastFrame() ?? '';
  const stdin = { write: input.write, frames };
  await settle();
  await type(stdin, KEY.enter); // Begin
  await until(() => expect(frame()).toContain('eth0'));
  await type(stdin, KEY.enter, KEY.shiftTab, KEY.enter); // eth0 is sif; Continue
  expect(frame()).toContain('2/5 SAN');
  await type(stdin, KEY.tab, ...'lab', KEY.tab, ...SECRET, KEY.tab, KEY.enter); // CHAP; Discover
  await until(() => expect(frame()).toContain('FOREIGN DATA'));
  await type(stdin, KEY.enter, KEY.tab, KEY.tab, KEY.enter); // the empty LUN; Continue
  expect(frame()).toContain('3/5 Cluster');
  await type(stdin, ...'lab', KEY.tab, KEY.tab, KEY.tab, KEY.tab); // name; to New blades
  await type(stdin, ...'node[01-03]', KEY.tab, ...'52:54:00:42:00:01', KEY.tab, KEY.enter); // Add blades
  expect(lineWith(frame(), 'node[01-03]')).toContain('3 blades');
  await type(stdin, KEY.tab, KEY.tab, KEY.tab, KEY.enter); // from New blades, again empty, to Continue
  expect(frame()).toContain('4/5 Images');
  await type(stdin, KEY.tab, KEY.enter); // Continue
  await until(() => expect(frame()).toContain('empty; a new install'));
  await type(stdin, KEY.enter); // Install
  await until(() => expect(port.calls).toEqual(['observeNetwork', 'discoverSan', 'plan', 'apply']));
  port.finish();
  await until(() => expect(frame()).toContain('Cluster lab is installed'));
  await type(stdin, KEY.enter);
  await until(() => expect(onExit).toHaveBeenCalledOnce());

  expect(port.planRequests[0]?.spec).toMatchObject({
    cluster: { name: 'lab' },
    san: { target: 'iqn.2026-11.org.virtualinux:lab.san', lun: 1, chap: { user: 'lab' } },
    fabric: { sif: 'eth0', modules: ['virtio_net'] },
    nodes: [{ name: 'node[01-03]', mac: '52:54:00:42:00:01' }],
  });
  expect(port.planRequests[0]?.chapSecret).toBe(SECRET);
  for (const f of frames) expect(f).not.toContain(SECRET);
});

describe('the keys of every screen', () => {
  test('? shows the help over the screen; Esc closes it and the screen is as it was', async () => {
    const { stdin, frame } = await startAt(walkTo('cluster'));
    await type(stdin, ...'la', '?');
    expect(frame()).toContain('Help (Esc, ? or Enter closes it)');
    expect(frame()).toContain('A range like node[01-16]');
    await type(stdin, 'x', KEY.escape);
    expect(frame()).toContain('3/5 Cluster');
    expect(lineWith(frame(), 'Cluster name')).toContain('la_');
  });

  test('! asks for a shell; its exit status shows on the key line until the next key', async () => {
    const onShell = vi.fn(() => 3);
    const { stdin, frame } = await startAt(walkTo('network'), { onShell });
    await type(stdin, '!');
    await until(() => expect(onShell).toHaveBeenCalledOnce());
    await until(() => expect(frame()).toContain('(shell: exit 3)  ↑↓ move'));
    expect(frame()).toContain('1/5 Network');
    await type(stdin, KEY.down);
    expect(frame()).not.toContain('(shell: exit');
  });

  test('requests made between two renders are all carried out: Discover, then ! at once', async () => {
    const onShell = vi.fn();
    const { stdin, port } = await startAt(feed(walkTo('san'), { type: 'focus-on', item: 'discover' }), {
      onShell,
    });
    stdin.write(KEY.enter);
    stdin.write('!');
    await until(() => {
      expect(port.discoverRequests).toHaveLength(1);
      expect(onShell).toHaveBeenCalledOnce();
    });
  });

  test('Ctrl-C asks before leaving; any key but y stays', async () => {
    const onExit = vi.fn();
    const { stdin, frame } = await startAt(walkTo('san'), { onExit });
    await type(stdin, KEY.ctrlC);
    expect(frame()).toContain('Leave the installer? Nothing is written yet. y leaves, any other key stays.');
    await type(stdin, 'q');
    expect(frame()).not.toContain('Leave the installer?');
    expect(onExit).not.toHaveBeenCalled();
    await type(stdin, KEY.ctrlC, 'y');
    await until(() => expect(onExit).toHaveBeenCalledOnce());
  });

  test('a problem of a screen already passed is listed on the later ones', async () => {
    const { stdin, frame } = await startAt(walkTo('cluster'));
    await type(
      stdin,
      KEY.escape,
      ...' 10.0.3.2:3261',
      ...Array.from({ length: 6 }, () => KEY.tab),
      KEY.enter,
    );
    expect(frame()).toContain('3/5 Cluster');
    // two portals on different ports: a rule across fields, told once the whole spec is read
    await type(
      stdin,
      ...'lab',
      KEY.tab,
      KEY.tab,
      KEY.tab,
      KEY.tab,
      ...'node01',
      KEY.tab,
      ...'52:54:00:42:00:01',
      KEY.tab,
      KEY.enter,
    );
    expect(frame()).toContain('3/5 Cluster');
    expect(frame()).toContain('! SAN, Portals:');
  });
});
