/** Lab machines as data: QEMU's NICs, fw_cfg and console options, blade boot scripts, outcomes. */

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { UserError } from '../../../core/errors.ts';
import { expandBlades } from '../../../core/spec/derive.ts';
import { EXAMPLE_SPEC_URL } from '../../../core/spec/example.ts';
import { checkSpecText, loadSpec } from '../../../core/spec/load.ts';
import { bladeSifMac, bladeVm, ipxeScript, SANBOOT_FAILED, selectBlades } from '../../../lab/blades.ts';
import { specWithKey } from '../../../lab/lab.ts';
import { qemuCommand } from '../../../lab/qemu.ts';
import { bladeOutcome, summaryTable, systemdFailures } from '../../../lab/run.ts';
import type { LabState } from '../../../lab/state.ts';

const spec = loadSpec(EXAMPLE_SPEC_URL.pathname);
const [node01, node02] = expandBlades(spec);
if (!node01 || !node02) throw new Error('the example has blades');
const state = { network: { group: '239.255.1.2', port: 23456 } } as LabState;

describe('qemuCommand for lab machines', () => {
  test('NICs in order: user networking with the TFTP boot file, then the multicast segment', () => {
    const args = qemuCommand(bladeVm(state, node01, '/lab/boot/node01')).args.join(' ');
    expect(args).toContain(
      '-netdev user,id=net0,tftp=/lab/boot/node01,bootfile=boot.ipxe -device virtio-net-pci,netdev=net0,mac=52:54:00:10:00:01,bootindex=1',
    );
    expect(args).toContain(
      '-netdev socket,id=net1,mcast=239.255.1.2:23456,localaddr=127.0.0.1 -device virtio-net-pci,netdev=net1,mac=52:54:00:42:00:01',
    );
    expect(args).toContain('-machine pc,graphics=off');
    expect(args.indexOf('net0')).toBeLessThan(args.indexOf('net1'));
  });

  test("no NICs at all is said, not left to QEMU's default", () => {
    expect(qemuCommand({ nics: [] }).args.join(' ')).toContain('-nic none');
    expect(qemuCommand({}).args).not.toContain('-nic');
  });

  test('fw_cfg files by name; the console on a socket server with a log, nobody has to listen', () => {
    const args = qemuCommand(
      { fwCfg: [{ name: 'opt/org.virtualinux/cluster.yaml', file: '/lab/a,b.yaml' }] },
      undefined,
      { kind: 'socket', socket: '/lab/consoles/x.sock', log: '/lab/logs/x.serial.log' },
    ).args;
    expect(args).toContain('name=opt/org.virtualinux/cluster.yaml,file=/lab/a,,b.yaml');
    expect(args).toContain(
      'socket,id=serial0,path=/lab/consoles/x.sock,server=on,wait=off,logfile=/lab/logs/x.serial.log,logappend=on',
    );
  });
});

describe('ipxeScript', () => {
  const script = ipxeScript(spec, node02, { user: 'lab', secret: 'S3cretS3cret0001' });

  test("logs in as the blade's own initiator with CHAP and sanboots the spec's LUN", () => {
    expect(script.split('\n')).toEqual([
      '#!ipxe',
      'echo VirtuaLinux lab: node02 boots from the SAN iscsi:10.0.2.2::3260:1:iqn.2026-11.org.virtualinux:lab.san',
      'set initiator-iqn iqn.2026-11.org.virtualinux:lab.node02',
      'set username lab',
      'set password S3cretS3cret0001',
      'sanboot iscsi:10.0.2.2::3260:1:iqn.2026-11.org.virtualinux:lab.san || goto failed',
      ':failed',
      `echo ${SANBOOT_FAILED} \${errno}: node02 could not boot from iscsi:10.0.2.2::3260:1:iqn.2026-11.org.virtualinux:lab.san`,
      'shell',
      '',
    ]);
  });

  test('mutual CHAP sets the reverse user and secret; no CHAP sets neither', () => {
    const mutual = ipxeScript(spec, node01, {
      user: 'lab',
      secret: 'S3cretS3cret0001',
      target: { user: 'san', secret: 'T4rgetT4rget0002' },
    });
    expect(mutual).toContain('set reverse-username san\nset reverse-password T4rgetT4rget0002\n');
    expect(ipxeScript(spec, node01)).not.toMatch(/username|password/);
  });

  test('a secret iPXE would expand or split is refused', () => {
    expect(() => ipxeScript(spec, node01, { user: 'lab', secret: `abc ${'$'}{x} def` })).toThrow(UserError);
  });
});

describe('blades', () => {
  test('the storage MAC is the spec one, else derived from the position', () => {
    expect(bladeSifMac(node02)).toBe('52:54:00:10:00:02');
    expect(bladeSifMac({ ...node02, sifMac: undefined })).toBe('52:54:00:f0:00:02');
  });

  test('no names selects every blade; an unknown name gets a did-you-mean and the list', () => {
    expect(selectBlades(spec, []).map((b) => b.name)).toEqual(['node01', 'node02', 'node03']);
    expect(selectBlades(spec, ['node03']).map((b) => b.name)).toEqual(['node03']);
    expect(() => selectBlades(spec, ['node3'])).toThrow(
      /no blade node3 in the spec \(did you mean node03\?\)/,
    );
  });
});

describe("the lab's SSH to its blades", () => {
  const key =
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHw1f0lV4rKx0P3d3C0m7bWq2c9v9Pq3pWm2Yd4q2kTz virtualinux-lab';

  test("a blade's port 22 is forwarded from a port on the host's loopback only", () => {
    const args = qemuCommand(bladeVm(state, node01, '/lab/boot/node01', 40022)).args.join(' ');
    expect(args).toContain('bootfile=boot.ipxe,hostfwd=tcp:127.0.0.1:40022-:22 ');
    expect(qemuCommand(bladeVm(state, node01, '/lab/boot/node01')).args.join(' ')).not.toContain('hostfwd');
  });

  test("the spec the lab installs is the administrator's with the lab's key added once, comments kept", () => {
    const text = readFileSync(EXAMPLE_SPEC_URL, 'utf8');
    const once = specWithKey(text, key);
    expect(specWithKey(once, key)).toBe(once);
    expect(once).toContain('# where the secret is, never the secret itself');
    const checked = checkSpecText(once);
    expect(checked.ok && checked.spec.access.sshKeys).toEqual([key]);
    const theirs = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJq admin@desk';
    const both = checkSpecText(specWithKey(`${text}\naccess:\n  sshKeys: [${theirs}]\n`, key));
    expect(both.ok && both.spec.access.sshKeys).toEqual([theirs, key]);
  });
});

describe('bladeOutcome', () => {
  test("a login prompt with its own name is a boot, with the root the initramfs assembled; the SAN boot marker is a failure with iPXE's error", () => {
    expect(
      bladeOutcome(
        'node01',
        'virtualinux: node01: root is overlay(vl_lab/img_node read-only, vl_lab/node_node01) from iqn.x:lab.san\r\nDebian GNU/Linux 12 node01 ttyS0\n\nnode01 login: ',
      ),
    ).toEqual({
      status: 'ok',
      detail:
        'multi-user, login prompt as node01, root overlay(vl_lab/img_node read-only, vl_lab/node_node01)',
    });
    expect(
      bladeOutcome(
        'node01',
        `${SANBOOT_FAILED} 0x3d126001: node01 could not boot from iscsi:10.0.2.2::3260:1:t\n`,
      ).status,
    ).toBe('failed');
    expect(bladeOutcome('node01', 'node02 login: ').status).toBe('failed');
  });

  test("the initramfs' refusal is the blade's failure, with its cause; a kernel with no login prompt is no boot", () => {
    const console =
      'virtualinux: node01: the SAN refused the login (authorization failure)\r\nvirtualinux: node01 cannot assemble its root: the SAN refused the login (authorization failure) (5 tries)\r\n(initramfs) ';
    expect(bladeOutcome('node01', console)).toEqual({
      status: 'failed',
      detail: 'no root: the SAN refused the login (authorization failure) (5 tries)',
    });
    const kernel =
      '[    0.000000] Command line: BOOT_IMAGE=/vmlinuz storage_ip=10.0.2.2 ivid=iqn.x:lab.san root=vl:vl_lab/img_node boot=vl\r\n';
    expect(bladeOutcome('node01', kernel).status).toBe('failed');
  });

  test('no login prompt: the units systemd said failed, timed out or lost a dependency are named, once each', () => {
    const console = [
      '[    0.000000] Command line: BOOT_IMAGE=/vmlinuz ivid=iqn.x:lab.san root=vl:vl_lab/img_node boot=vl',
      '[\u001b[0;1;31m TIME \u001b[0m] Timed out waiting for device \u001b[0;1;39mdev-ttyS0.device\u001b[0m - /dev/ttyS0.',
      '[\u001b[0;1;38;5;185mDEPEND\u001b[0m] Dependency failed for \u001b[0;1;39mserial-getty@ttyS0.service\u001b[0m - Serial Getty on ttyS0.',
      "[  101.2] systemd[1]: serial-getty@ttyS0.service: Job serial-getty@ttyS0.service/start failed with result 'dependency'.",
      '\u001bM\r\u001b[K[\u001b[0;1;31mFAILED\u001b[0m] Failed to start \u001b[0;1;39mchrony.service\u001b[0m - chrony, an NTP client/server.',
      '[\u001b[0;1;31mFAILED\u001b[0m] Failed to start \u001b[0;1;39mchrony.service\u001b[0m - chrony, an NTP client/server.',
      '[\u001b[0;32m  OK  \u001b[0m] Finished \u001b[0;1;39msystemd-update-utmp-runlevel.service\u001b[0m - Record Runlevel Change in UTMP.',
    ].join('\r\n');
    expect(systemdFailures(console)).toEqual([
      '[ TIME ] Timed out waiting for device dev-ttyS0.device - /dev/ttyS0.',
      '[DEPEND] Dependency failed for serial-getty@ttyS0.service - Serial Getty on ttyS0.',
      '[FAILED] Failed to start chrony.service - chrony, an NTP client/server.',
    ]);
    expect(bladeOutcome('node01', console).detail).toBe(
      'the node kernel from VLBOOT started, no login prompt followed; systemd said: [ TIME ] Timed out waiting for device dev-ttyS0.device - /dev/ttyS0.; [DEPEND] Dependency failed for serial-getty@ttyS0.service - Serial Getty on ttyS0.; [FAILED] Failed to start chrony.service - chrony, an NTP client/server.',
    );
    expect(systemdFailures('[  OK  ] Reached target multi-user.target')).toEqual([]);
  });

  test('the summary has one line per step, with its result and time', () => {
    const table = summaryTable([
      { step: 'SAN up', status: 'ok', seconds: 1.2, detail: 'iqn' },
      { step: 'blades boot', status: 'not-run', seconds: 0, detail: 'no engine' },
    ]);
    expect(table.split('\n')).toEqual([
      'step         result   time     detail',
      'SAN up       ok       1.2 s    iqn',
      'blades boot  not-run  0 s      no engine',
    ]);
  });
});
