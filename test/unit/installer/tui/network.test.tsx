/** Network: the interfaces with link, driver, kind and MAC; sif chosen; DHCP or a static fabric. */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, test } from 'vitest';
import { Network, type NetworkProps } from '../../../../installer/tui/screens/network.tsx';
import { startAt, startSized } from './app-at.tsx';
import { NETWORK, walkTo } from './fixtures.ts';
import { expectFits, KEY, LARGE, lineWith, SERIAL, type, unmountAll, until } from './terminal.tsx';

afterEach(() => {
  cleanup();
  unmountAll();
});

const props = (more: Partial<NetworkProps> = {}): NetworkProps => ({
  network: { state: 'seen', value: NETWORK },
  sif: undefined,
  cursor: 0,
  addressing: 'dhcp',
  cidr: '',
  modules: '',
  focus: 'interfaces',
  width: 80,
  height: 21,
  ...more,
});

describe('what it shows', () => {
  test('each interface with its link state, driver, kind and MAC; ib0 is IPoIB, eth0 is not', () => {
    const frame = render(<Network {...props({ sif: 'eth0' })} />).lastFrame() ?? '';
    expect(lineWith(frame, 'eth0')).toMatch(/\(\*\) eth0\s+up\s+virtio_net\s+Ethernet\s+52:54:00:12:34:56/);
    expect(lineWith(frame, 'ib0')).toMatch(/\( \) ib0\s+up\s+mlx5_core\s+IPoIB\s+80:00:02:08/);
    expect(lineWith(frame, 'eth1')).toMatch(/eth1\s+down\s+e1000e\s+Ethernet/);
  });

  test('the portal status line says whether the SAN answers, and why not', () => {
    const answers = render(<Network {...props()} />).lastFrame() ?? '';
    expect(answers).toContain('SAN portal 10.0.2.2:3260 answers');
    const silent = render(
      <Network
        {...props({
          network: {
            state: 'seen',
            value: {
              ...NETWORK,
              portal: { portal: '10.0.2.2:3260', answers: false, detail: 'no route to host' },
            },
          },
        })}
      />,
    ).lastFrame();
    expect(silent).toContain('SAN portal 10.0.2.2:3260 does not answer: no route to host');
    const none = render(
      <Network {...props({ network: { state: 'seen', value: { interfaces: [] } } })} />,
    ).lastFrame();
    expect(none).toContain('no network interface found');
    expect(none).toContain('SAN portal: none named at boot');
  });

  test('a static fabric shows its network field; DHCP does not', () => {
    expect(render(<Network {...props()} />).lastFrame()).not.toContain('Fabric network');
    const frame =
      render(<Network {...props({ addressing: 'static', cidr: '10.10.0.0/24' })} />).lastFrame() ?? '';
    expect(lineWith(frame, 'Fabric network')).toContain('10.10.0.0/24');
    expect(lineWith(frame, 'Addressing')).toContain('( ) DHCP  (*) static');
  });
});

describe('keys', () => {
  test('down, Enter chooses eth1; Space on Addressing asks for the fabric network; r looks again', async () => {
    const { stdin, frame, port } = await startAt(walkTo('network'));
    expect(lineWith(frame(), 'eth0')).toMatch(/^> /);
    await type(stdin, KEY.down, KEY.down, KEY.enter);
    expect(lineWith(frame(), 'eth1')).toMatch(/^> \(\*\) eth1/);
    await type(stdin, KEY.tab, KEY.space);
    expect(lineWith(frame(), 'Addressing')).toMatch(/^> Addressing\s+\( \) DHCP {2}\(\*\) static/);
    expect(frame()).toContain('Fabric network');
    await type(stdin, 'r');
    await until(() => expect(port.calls).toEqual(['observeNetwork']));
  });

  test("what the spec refuses shows at the field as it is typed, in the spec's words", async () => {
    const { stdin, frame } = await startAt(walkTo('network'));
    await type(stdin, KEY.enter, KEY.tab, KEY.space, KEY.tab, ...'10.10.0.1/24');
    expect(lineWith(frame(), 'Fabric network')).toContain('10.10.0.1/24');
    expect(frame()).toContain(
      '! "10.10.0.1/24" has host bits set (expected the network address: 10.10.0.0/24)',
    );
    await type(stdin, KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, ...'0/24');
    expect(frame()).not.toContain('has host bits set');
  });

  test('Continue without an interface stays, and says what is missing', async () => {
    const { stdin, frame } = await startAt(walkTo('network'));
    await type(stdin, KEY.shiftTab, KEY.enter);
    expect(frame()).toContain('1/5 Network');
    expect(frame()).toContain('! choose the interface that reaches the SAN: Enter on its row');
    await type(stdin, KEY.enter, KEY.shiftTab, KEY.enter);
    expect(frame()).toContain('2/5 SAN');
  });
});

test.each([SERIAL, LARGE])('it fits a %o terminal, with every interface in view', async (size) => {
  const terminal = await startSized(walkTo('network'), size);
  const frame = terminal.lastFrame();
  expectFits(frame, size);
  for (const name of ['eth0', 'ib0', 'eth1', 'IPoIB', 'SAN portal', '[ Continue ]'])
    expect(frame).toContain(name);
  if (size === LARGE) expect(frame).toContain(NETWORK.interfaces[1]?.mac);
});
