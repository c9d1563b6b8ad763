/** Welcome: the product, its version, what will happen, the keys; Enter begins. */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, expect, test } from 'vitest';
import { App } from '../../../../installer/tui/app.tsx';
import { Welcome } from '../../../../installer/tui/screens/welcome.tsx';
import { RecordedPort } from './fixtures.ts';
import {
  expectFits,
  KEY,
  LARGE,
  lineWith,
  renderOn,
  SERIAL,
  settle,
  type,
  unmountAll,
  until,
} from './terminal.tsx';

afterEach(() => {
  cleanup();
  unmountAll();
});

const welcome = () => <Welcome version="0.1.0" width={80} height={22} />;

test('it names the product and its version, the steps to come, and the keys', () => {
  const frame = render(welcome()).lastFrame() ?? '';
  expect(frame).toContain('VirtuaLinux installer 0.1.0');
  for (const step of ['Network', 'SAN', 'Cluster', 'Images', 'Review', 'Install'])
    expect(frame).toMatch(new RegExp(`\\d ${step}`));
  expect(lineWith(frame, 'Keys')).toMatch(/↑↓ move.*Tab next field.*Enter.*Esc back/);
  expect(lineWith(frame, '? help')).toContain('! shell');
});

test('in the App, Enter goes to the Network screen and Esc comes back', async () => {
  const port = new RecordedPort();
  const { stdin, lastFrame, frames } = render(<App port={port} version="0.1.0" env={{}} />);
  const keyboard = { write: stdin.write, frames };
  await until(() => expect(port.calls).toEqual(['observeNetwork']));
  await type(keyboard, KEY.enter);
  expect(lastFrame()).toContain('Network');
  await until(() => expect(lastFrame()).toContain('eth0'));
  await type(keyboard, KEY.escape);
  expect(lastFrame()).toContain('This lays out a SAN LUN');
});

test.each([SERIAL, LARGE])('it fits a %o terminal', async (size) => {
  const terminal = renderOn(<App port={new RecordedPort()} version="0.1.0" env={{}} />, size);
  await settle();
  expectFits(terminal.lastFrame(), size);
  expect(terminal.lastFrame()).toContain('VirtuaLinux installer 0.1.0');
  expect(terminal.lastFrame()).toContain('[ Begin ]');
});

test.each([SERIAL, LARGE])(
  'resumed after a guided installer died, it says when and where, and still fits a %o terminal',
  async (size) => {
    const resumed = { screen: 'cluster' as const, spec: {}, at: '2026-11-29T14:02:07.123Z' };
    const terminal = renderOn(
      <App port={new RecordedPort()} version="0.1.0" env={{}} resumed={resumed} />,
      size,
    );
    await settle();
    expectFits(terminal.lastFrame(), size);
    const said = terminal.lastFrame().replace(/\s+/g, ' ');
    expect(said).toContain(
      'The guided installer stopped at 14:02 UTC on the Cluster screen without being left',
    );
    expect(terminal.lastFrame()).toContain('[ Begin ]');
  },
);
