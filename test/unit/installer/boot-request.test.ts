import { expect, test } from 'vitest';
import { kernelParameters, parseBootRequest, primaryConsole } from '../../../installer/boot-request.ts';

const debianLive = 'BOOT_IMAGE=/live/vmlinuz boot=live components quiet console=tty0 console=ttyS0,115200n8';

test('a plain boot asks for no mode', () => {
  expect(parseBootRequest(`${debianLive}\n`)).toEqual({});
});

test.each(['install', 'unattended', 'recovery', 'rescue'] as const)('vl.mode=%s is read', (mode) => {
  expect(parseBootRequest(`${debianLive} vl.mode=${mode}\n`)).toEqual({ mode });
});

test('the last vl.mode wins, as when a menu entry is edited by appending to it', () => {
  expect(parseBootRequest('vl.mode=install quiet vl.mode=recovery').mode).toBe('recovery');
});

test('an unknown mode is kept to be named on screen, not silently ignored', () => {
  expect(parseBootRequest('vl.mode=instal')).toEqual({ unknownMode: 'instal' });
  expect(parseBootRequest('vl.mode')).toEqual({ unknownMode: '' });
});

test('vl.spec may be quoted like any kernel parameter', () => {
  expect(parseBootRequest('vl.mode=unattended vl.spec="http://10.0.2.2/my cluster.yaml" quiet')).toEqual({
    mode: 'unattended',
    specUrl: 'http://10.0.2.2/my cluster.yaml',
  });
  expect(parseBootRequest('"vl.spec=http://h/a b.yaml"').specUrl).toBe('http://h/a b.yaml');
});

test('words after -- belong to init, not to the kernel', () => {
  expect(parseBootRequest('quiet -- vl.mode=install')).toEqual({});
});

test('parameters keep the part after the first = whole', () => {
  const parameters = kernelParameters('root=vl:vl_c/img_node+node_a vl.spec=http://h/?a=b ro');
  expect(parameters.get('root')).toBe('vl:vl_c/img_node+node_a');
  expect(parameters.get('vl.spec')).toBe('http://h/?a=b');
  expect(parameters.get('ro')).toBe(true);
});

test('the primary console is the last console= (the one /dev/console is), tty0 meaning tty1', () => {
  expect(primaryConsole('boot=live console=tty0 console=ttyS0,115200n8 vl.mode=unattended')).toBe('ttyS0');
  expect(primaryConsole('boot=live console=ttyS0,115200n8 console=tty0')).toBe('tty1');
  expect(primaryConsole('boot=live quiet')).toBe('tty1');
});
