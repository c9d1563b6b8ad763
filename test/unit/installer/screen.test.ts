import { expect, test } from 'vitest';
import { specSources } from '../../../installer/boot-request.ts';
import { recoveryNotice } from '../../../installer/menu.ts';
import { renderScreen, type ScreenModel } from '../../../installer/screen.ts';

const model = (over: Partial<ScreenModel> = {}): ScreenModel => ({
  version: '0.1.0',
  boot: {},
  menu: {},
  input: 'keys',
  ...over,
});

test('the screen names the product, its version and every entry with its key', () => {
  expect(renderScreen(model())).toBe(
    [
      'VirtuaLinux installer 0.1.0',
      '===========================',
      '',
      'Boot mode: none asked for (no vl.mode on the kernel command line).',
      '',
      '  i  Install',
      '  u  Unattended install',
      '  f  Recovery (factory reset)',
      '  s  Shell (root)',
      '  p  Power off',
      '  b  Reboot',
      '',
      'Press a key: ',
    ].join('\n'),
  );
});

test('an unattended boot says where the spec is looked for and what is there', () => {
  const screen = renderScreen(
    model({
      boot: { mode: 'unattended', specUrl: 'http://10.0.2.2:8080/cluster.yaml' },
      specSources: specSources.map((source, i) => ({
        source,
        status: ['not found', 'found', 'http://10.0.2.2:8080/cluster.yaml'][i] ?? '',
      })),
      menu: { highlight: 'unattended', notice: 'Unattended install is not built yet; soon.' },
      input: 'lines',
    }),
  );
  expect(screen).toContain(
    [
      'Boot mode: unattended install (vl.mode=unattended)',
      '  The cluster spec is looked for on:',
      '    a drive labelled VLSPEC                       not found',
      '    QEMU fw_cfg opt/org.virtualinux/cluster.yaml  found',
      '    vl.spec=URL on the kernel command line        http://10.0.2.2:8080/cluster.yaml',
    ].join('\n'),
  );
  expect(screen).toContain('> u  Unattended install\n');
  expect(screen).toMatch(/Unattended install is not built yet; soon\.\nType a key and Enter: $/);
});

test('an unknown mode is named with the modes that exist', () => {
  expect(renderScreen(model({ boot: { unknownMode: 'instal' } }))).toContain(
    'Boot mode: vl.mode=instal is not one this installer knows\n  (install, unattended, recovery, rescue); choose below.',
  );
});

test('while a power action waits for y, its entry is the marked one', () => {
  const screen = renderScreen(model({ menu: { highlight: 'install', confirming: 'reboot' } }));
  expect(screen).toContain('> b  Reboot');
  expect(screen).toContain('  i  Install');
});

test('every line is plain ASCII and fits an 80-column console', () => {
  const screen = renderScreen(
    model({
      version: '10.20.30-rc.1',
      boot: { mode: 'unattended' },
      specSources: specSources.map((source) => ({ source, status: 'not found' })),
      menu: { notice: recoveryNotice },
    }),
  );
  for (const line of screen.split('\n')) {
    expect(line.length).toBeLessThan(80);
    expect(line).toMatch(/^[\x20-\x7e]*$/);
  }
});
