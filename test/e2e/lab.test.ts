/**
 * The lab as an administrator drives it, with the DVD that `npm run dvd` builds: `lab run` (SAN
 * up, the DVD's Unattended install, every blade SAN-booted through VLBOOT); then step by step:
 * the install checked on the host from the LUN file itself (`lab inspect`: GPT, VLBOOT's files,
 * the VG and its volumes read by the host's LVM from loop devices), a rerun that has nothing to
 * do, the refusals (nothing written: the LUN file's mtime and inspection unchanged), the DVD's
 * Install entry (the guided installer walked on the serial console to the Review of the installed
 * LUN), a reset from the menu's Recovery entry, an install killed at two actions, the rerun
 * going on from there, and the rest written by the guided installer, to the very same layout. The blades
 * SAN-boot to multi-user on their diskless root (overlay of img_node and their own layer); a
 * file survives a reboot, a twin of a running blade and a changed CHAP secret stop in the
 * initramfs with the reason on the console and a shell; a reset of a running blade is refused.
 */
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createRunner } from '../../core/exec/runner.ts';
import { isRunning } from '../../core/pid-lock.ts';
import { expandBlades } from '../../core/spec/derive.ts';
import { loadSpec } from '../../core/spec/load.ts';
import {
  renderAuthorizedKeys,
  renderBladeMap,
  renderGrubConfig,
  renderHosts,
} from '../../installer/engine/vlboot.ts';
import { fwCfgPath, RESULT_MARKER, SPEC_FW_CFG } from '../../installer/unattended-protocol.ts';
import { BOOT_SCRIPT, bladeVm, ipxeScript, labBoot } from '../../lab/blades.ts';
import { type LabContext, labSpec } from '../../lab/lab.ts';
import { labMachine, startMachine } from '../../lab/machines.ts';
import { labPaths, readState } from '../../lab/state.ts';
import { createAccount } from '../../lab/tgtd.ts';
import { e2eLogDir } from './harness/cleanup.ts';
import { SERIAL_KEYS, SerialScreens } from './harness/serial-screens.ts';

const bin = new URL('../../bin/virtualinux.js', import.meta.url).pathname;
const STACK = /^\s+at .+:\d+:\d+\)?$/m;
const work = mkdtempSync(join(tmpdir(), 'vl-lab-e2e-'));
const env = { CI: 'true' };
/** the spec as the installer machine has it: handed over by fw_cfg */
const SPEC = fwCfgPath(SPEC_FW_CFG);

const lab = (dir: string, args: string[]) =>
  execa(bin, ['lab', ...args.slice(0, 1), '--dir', dir, ...args.slice(1)], {
    env,
    reject: false,
    stdin: 'ignore',
  });

/** a command in the installer's root shell, through `lab exec`; long ones get minutes */
const onInstaller = (dir: string, command: string[], seconds = 1200) =>
  lab(dir, ['exec', '--timeout', String(seconds), 'installer', '--', ...command]);

/** a command on a running blade, through `lab exec` (SSH with the lab's key) */
async function onBlade(dir: string, name: string, command: string[], seconds = 120) {
  const result = await lab(dir, ['exec', '--timeout', String(seconds), name, '--', ...command]);
  expect(result.stderr).not.toMatch(STACK);
  return result;
}

const labContextFor = (dir: string): LabContext => ({ dir, runner: createRunner(), say: () => {} });

/**
 * A second machine that claims blade `name`: its NICs have that blade's MACs (a replacement board
 * with cloned MACs), its firmware another initiator name (the installer's: in the SAN's ACL, and
 * no running machine uses it). With the blade's own initiator name too, the SAN itself would drop
 * one machine's session for the other's (iSCSI session reinstatement): what is tested here is the
 * protection of the blade's layer.
 */
async function startTwin(dir: string, name: string) {
  const state = readState(dir);
  const { spec } = labSpec(labPaths(dir).spec);
  const blade = expandBlades(spec).find((b) => b.name === name);
  if (!state || !blade || !spec.san.chap) throw new Error(`no lab, no CHAP or no blade ${name}`);
  const tftp = join(labPaths(dir).boot, `${name}-twin`);
  mkdirSync(tftp, { recursive: true, mode: 0o700 });
  const secret = readFileSync(labPaths(dir).chapSecret, 'utf8').trim();
  const script = ipxeScript(spec, { ...blade, name: 'installer' }, { user: spec.san.chap.user, secret });
  writeFileSync(join(tftp, BOOT_SCRIPT), script, { mode: 0o600 });
  return startMachine(labContextFor(dir), `${name}-twin`, 'blade', bladeVm(state, blade, tftp));
}

/** the SAN's CHAP account made again with another secret (over tgtd's socket, never argv) */
async function setChapSecret(dir: string, user: string, secret: string) {
  const state = readState(dir);
  if (!state) throw new Error('no lab');
  const port = String(state.san.controlPort);
  const tgtadm = (args: string[]) => execa('tgtadm', ['-C', port, '--lld', 'iscsi', ...args]);
  await tgtadm(['--op', 'unbind', '--mode', 'account', '--tid', '1', '--user', user]);
  await tgtadm(['--op', 'delete', '--mode', 'account', '--user', user]);
  await createAccount(state.san.controlPort, user, secret);
  await tgtadm(['--op', 'bind', '--mode', 'account', '--tid', '1', '--user', user]);
}

interface Inspection {
  partitions: Array<{ number: number; name?: string; bytes: number }>;
  vlboot?: { files: Array<{ path: string; bytes: number; sha256: string }> };
  volumeGroups: Array<{
    name: string;
    tags: string[];
    logicalVolumes: Array<{
      name: string;
      bytes: number;
      tags: string[];
      readOnly: boolean;
      sha256?: string;
    }>;
  }>;
}

async function inspect(dir: string): Promise<Inspection> {
  const result = await lab(dir, ['inspect', '--json']);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Inspection;
}

/** the sha256 of these volumes' contents, read from the LUN file on the host: was anything written? */
async function volumeHashes(dir: string, names: string[]): Promise<Record<string, string | undefined>> {
  const result = await lab(dir, ['inspect', '--json', ...names.flatMap((name) => ['--checksum', name])]);
  expect(result.exitCode, result.stderr).toBe(0);
  const volumes = (JSON.parse(result.stdout) as Inspection).volumeGroups.flatMap((vg) => vg.logicalVolumes);
  return Object.fromEntries(names.map((name) => [name, volumes.find((lv) => lv.name === name)?.sha256]));
}

/**
 * The guided installer from its Welcome to the Review, every screen filled from the boot's spec:
 * Shift-Tab from a screen's first item reaches Continue; Discover on the SAN screen brings sif up
 * and asks the portal, and the spec's LUN is chosen.
 */
async function walkToReview(screens: SerialScreens): Promise<void> {
  const { enter, tab, shiftTab } = SERIAL_KEYS;
  await screens.keys(enter);
  await screens.shows(/1\/5 Network[\s\S]*\(\*\) eth0/, 120_000);
  await screens.keys(shiftTab + enter);
  await screens.shows(/2\/5 SAN[\s\S]*CHAP secret +\*+/, 120_000);
  await screens.keys(tab + tab + tab + enter);
  await screens.shows(/portal 10\.0\.2\.2:3260 answers[\s\S]*\(\*\) +1 /, 300_000);
  await screens.keys(tab + tab + enter);
  await screens.shows(/3\/5 Cluster[\s\S]*node\[01-03\] +3 blades/, 120_000);
  await screens.keys(shiftTab + enter);
  await screens.shows(/4\/5 Images/, 120_000);
  await screens.keys(shiftTab + enter);
}

/**
 * After a test failed in one of the menu's entries: Ctrl-C leaves it (a question, the guided
 * installer's "Leave?"), and `s` gives the root shell back, so that the tests after it, which type
 * into that shell (`lab exec`), test what they test. Best effort: the first error is the one told.
 * Then what a crash of the guided installer left is printed: its report, the kernel's lines, memory.
 */
async function backToShell(dir: string, screens: SerialScreens): Promise<void> {
  const { ctrlC } = SERIAL_KEYS;
  try {
    await screens.keys(ctrlC);
    const left = /Back from [a-z ]+ \(exit status \d+\)\./;
    if (!left.test(await screens.shows(new RegExp(`Leave the installer\\?|${left.source}`), 60_000))) {
      await screens.keys('y');
      await screens.shows(/Back from the guided installer \(exit status \d+\)\./, 120_000);
    }
    await screens.keys('s');
    await screens.shows(/Root shell[\s\S]*# $/m, 60_000);
  } catch {
    // the console is somewhere else: the next test says where
    return;
  }
  // a crash of the guided installer leaves its report (a JS error) or the kernel's lines (a signal)
  const evidence = await onInstaller(dir, [
    'sh',
    '-c',
    // the live system has no procps (free): memory from /proc
    'cat /tmp/virtualinux-crash-*.txt 2>/dev/null; dmesg | grep -A30 -E "segfault|fatal signal|Out of memory" | tail -60; grep -E "^(MemTotal|MemAvailable|Cached|Dirty|Shmem):" /proc/meminfo',
  ]);
  console.log(`lab.test: after the failure, on the installer:\n${evidence.stdout}`);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let iso: string;
beforeAll(async () => {
  // the DVD in out/, where lab install looks for it (cached: seconds when the DVD tests built it)
  const build = await execa(bin, ['dvd', 'build'], { env, reject: false, stdin: 'ignore' });
  expect(build.exitCode, build.stderr.split('\n').slice(-30).join('\n')).toBe(0);
  iso = /^(\S+\.iso) /.exec(build.stdout)?.[1] as string;
}, 60 * 60_000);

/** when a test failed, the lab's logs (every machine's serial console, tgtd) outlive the lab */
let failed = false;
afterEach((context) => {
  if (context.task.result?.state === 'fail') failed = true;
});

afterAll(async () => {
  await lab(join(work, 'lab'), ['down']);
  const logs = labPaths(join(work, 'lab')).logs;
  if (failed && existsSync(logs)) {
    const kept = join(e2eLogDir(), `lab-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    cpSync(logs, kept, { recursive: true });
    console.log(`lab.test: a test failed; the lab's logs are kept in ${kept}`);
  }
  rmSync(work, { recursive: true, force: true });
});

describe('one lab, from lab run to lab down', () => {
  const dir = join(work, 'lab');
  const spec = loadSpec(new URL('../../core/spec/example.yaml', import.meta.url).pathname);
  const lunFile = () => join(labPaths(dir).lunDir, `lun${spec.san.lun}.img`);
  let clean: Inspection;

  test('lab run: the SAN comes up, the DVD installs the cluster, every blade SAN-boots to multi-user on its own diskless root', async () => {
    const run = await lab(dir, ['run', '--keep']);
    expect(run.stderr).not.toMatch(STACK);
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(result.ok).toBe(true);
    expect(result.steps.map((s: { step: string; status: string }) => [s.step, s.status])).toEqual([
      ['SAN up', 'ok'],
      ['DVD install', 'ok'],
      ['blades boot', 'ok'],
    ]);
    expect(result.steps[1].detail).toMatch(
      /^cluster lab: 3 blades, SAN iqn\.2026-11\.org\.virtualinux:lab\.san at 10\.0\.2\.2:3260; \d+ actions on /,
    );
    for (const blade of ['node01', 'node02', 'node03']) {
      expect(result.steps[2].detail).toContain(
        `${blade}: multi-user, login prompt as ${blade}, root overlay(vl_lab/img_node read-only, vl_lab/node_${blade})`,
      );
    }
    expect(run.stdout).toMatch(/^step\s+result\s+time\s+detail$/m);
    const log = readFileSync(join(dir, 'logs', 'installer.serial.log'), 'utf8');
    expect(log).toContain('vl.mode=unattended');
    expect(log).toContain('VIRTUALINUX-INSTALL-RESULT: installed');
    expect(log).not.toContain(readFileSync(labPaths(dir).chapSecret, 'utf8').trim());
    // the blades found VLBOOT's GRUB and booted the kernel on the SAN: logged in with CHAP, no failure
    const blade = labMachine(dir, 'node01');
    expect(blade.serialLog()).toContain('Registered SAN device 0x80');
    expect(blade.serialLog()).not.toContain('Could not open SAN device');
    // VLBOOT's default entry names no blade: the initramfs found node01 by its MAC, logged in as
    // node01's initiator with the firmware's CHAP, and never printed the secret
    expect(blade.serialLog()).toMatch(
      /virtualinux: logged in to iqn\.2026-11\.org\.virtualinux:lab\.san at 10\.0\.2\.2:3260 as iqn\.2026-11\.org\.virtualinux:lab\.node01/,
    );
    for (const name of ['node01', 'node02', 'node03']) {
      expect(labMachine(dir, name).serialLog()).not.toContain(
        readFileSync(labPaths(dir).chapSecret, 'utf8').trim(),
      );
    }
  }, 2_400_000);

  test('on each blade: its own name, the overlay root over img_node, the iSCSI session; a file written on node01 survives its reboot and is absent on node02', async () => {
    for (const name of ['node01', 'node02']) {
      const facts = await onBlade(dir, name, [
        'sh',
        '-c',
        'hostname; findmnt -n -o FSTYPE,SOURCE /; iscsiadm -m session; cat /etc/iscsi/initiatorname.iscsi; getent hosts node03; cat /sys/class/iscsi_session/session*/recovery_tmo /sys/class/iscsi_session/session*/device/target*/*/block/*/device/timeout; systemctl is-active iscsid; systemctl show -P JobRunningTimeoutUSec dev-ttyS0.device; ls /etc/ssh/ | grep -E "^ssh_host_.*_key$"; systemctl is-enabled e2scrub_reap.service e2scrub_all.timer; systemctl is-active ifupdown-pre networking',
      ]);
      expect(facts.exitCode, facts.stdout).toBe(0);
      const lines = facts.stdout.trim().split('\n');
      expect(lines[0]).toBe(name);
      expect(lines[1]).toBe(`overlay vl:vl_lab/img_node+node_${name}`);
      expect(lines[2]).toMatch(/^tcp: \[\d+\] 10\.0\.2\.2:3260,1 iqn\.2026-11\.org\.virtualinux:lab\.san/);
      expect(lines[3]).toBe(`InitiatorName=iqn.2026-11.org.virtualinux:lab.${name}`);
      expect(lines[4]).toMatch(/^10\.42\.0\.13\s+node03\.lab\.virtualinux\.test node03$/);
      // the root's session waits a day for the SAN (after iscsid took it over, with the
      // personalised iscsid.conf), its disk 3 minutes for a command; iscsid runs in the root; the
      // console's getty waits up to 10 min for udev to announce the port (systemd's 90 s was not
      // enough for a blade in a boot storm: no login prompt, CI of stop 15)
      expect(lines.slice(5, 9)).toEqual(['86400', '180', 'active', '10min']);
      // what the node OS leaves out of a boot (docs/blades.md): no RSA host key, no e2scrub, and
      // the network up without waiting for udev to settle
      expect(lines.slice(9)).toEqual([
        'ssh_host_ecdsa_key',
        'ssh_host_ed25519_key',
        'masked',
        'masked',
        'active',
        'active',
      ]);
    }
    const written = await onBlade(dir, 'node01', ['sh', '-c', 'echo made-on-node01 > /root/proof && sync']);
    expect(written.exitCode, written.stdout).toBe(0);
    expect((await onBlade(dir, 'node02', ['test', '-e', '/root/proof'])).exitCode).toBe(1);
    // a reboot: the firmware SAN-boots again, the initramfs assembles the same root
    const node01 = labMachine(dir, 'node01');
    node01.skipOutput();
    await onBlade(dir, 'node01', ['systemd-run', '--on-active=2', 'systemctl', 'reboot']);
    await node01.waitFor(/Registered SAN device 0x80/, 300_000);
    await node01.waitFor(/^node01 login:/m, 900_000);
    const kept = await onBlade(dir, 'node01', ['cat', '/root/proof']);
    expect(kept.stdout.trim()).toBe('made-on-node01');
  }, 1_800_000);

  test('a second machine that claims node01 while node01 runs stops in its initramfs: the layer is in use elsewhere, nothing is mounted', async () => {
    // the running blades write their own layers; the golden image and vl_meta nobody writes
    const untouched = ['img_node', 'vl_meta'];
    const before = await volumeHashes(dir, untouched);
    const twin = await startTwin(dir, 'node01');
    try {
      // a twin that gets as far as a login prompt has mounted node01's layer: fail at once
      const [seen] = await twin.waitFor(/cannot assemble its root|^node01 login:/m, 600_000);
      expect(seen, twin.serialLog()).toBe('cannot assemble its root');
      expect(twin.serialLog()).toMatch(
        /virtualinux: node01: vl_lab\/node_node01 is in use by another machine \(node01\): a blade's layer is mounted by one machine only/,
      );
      await twin.waitFor(/\(initramfs\) /, 60_000);
      // the layer (dm-1, activated after the image dm-0) was never mounted by the twin
      expect(twin.serialLog()).not.toMatch(/EXT4-fs \(dm-1\): mounted/);
      // node01 runs on, on its own layer
      expect((await onBlade(dir, 'node01', ['cat', '/root/proof'])).stdout.trim()).toBe('made-on-node01');
    } finally {
      await twin.stop();
    }
    expect(await volumeHashes(dir, untouched)).toEqual(before);
  }, 1_200_000);

  test('a SAN whose CHAP secret changed after the firmware booted: the initramfs says the login was refused and gives a shell', async () => {
    await labMachine(dir, 'node03').stop();
    // node03 is off: its layer, the golden image and vl_meta must read the same after its failed boot
    const untouched = ['node_node03', 'img_node', 'vl_meta'];
    const before = await volumeHashes(dir, untouched);
    const [node03] = await labBoot(labContextFor(dir), ['node03']);
    if (!node03) throw new Error('node03 did not start');
    // the firmware loaded GRUB, the kernel and the initramfs with the right secret; then the SAN's changes
    await node03.waitFor(/Linux version/, 600_000);
    const secret = readFileSync(labPaths(dir).chapSecret, 'utf8').trim();
    await setChapSecret(dir, 'lab', 'another-secret-9');
    try {
      await node03.waitFor(/cannot assemble its root/, 900_000);
      expect(node03.serialLog()).toMatch(
        /virtualinux: the SAN refused the login \(authorization failure\): the CHAP user or secret is wrong \(from the firmware \(iBFT\)\)/,
      );
      await node03.waitFor(/\(initramfs\) /, 60_000);
      expect(node03.serialLog()).not.toContain(secret);
    } finally {
      await setChapSecret(dir, 'lab', secret);
      await node03.stop();
    }
    expect(await volumeHashes(dir, untouched)).toEqual(before);
  }, 1_800_000);

  test('node02 is broken from inside: its SSH configuration removed, fstab garbage, a note in /root, its layer filled; it powers off', async () => {
    const broken = await onBlade(dir, 'node02', [
      'sh',
      '-c',
      'echo keep-me > /root/notes && rm -rf /etc/ssh && echo garbage > /etc/fstab && fallocate -l 1400M /var/tmp/fill && sync && systemd-run --on-active=2 systemctl poweroff',
    ]);
    expect(broken.exitCode, broken.stdout).toBe(0);
    const node02 = labMachine(dir, 'node02');
    const deadline = Date.now() + 300_000;
    while (node02.running() && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(node02.running()).toBe(false);
    await node02.stop();
  }, 600_000);

  test('the blades power off; the LUN, read on the host from its file, holds the layout', async () => {
    // what follows checks that the installer writes nothing: running blades would write
    // node02 powered itself off in the test before; node03 was stopped by the CHAP test
    await labMachine(dir, 'node01').stop();
    expect(Object.keys(readState(dir)?.machines ?? {}).filter((name) => name.startsWith('node'))).toEqual([]);
    clean = await inspect(dir);
    expect(clean.partitions.map((p) => [p.number, p.name])).toEqual([
      [1, 'vl-bios-boot'],
      [2, 'VLBOOT'],
      [3, 'vl_lab'],
    ]);
    // VLBOOT: GRUB for BIOS and UEFI, the blades' kernel and initramfs, the menu and blade map as rendered from the spec
    const files = new Map(clean.vlboot?.files.map((f) => [f.path, f]));
    for (const path of ['/vmlinuz', '/initrd.img', '/boot/grub/i386-pc/core.img', '/EFI/BOOT/BOOTX64.EFI']) {
      expect(files.has(path), `${path} on VLBOOT: ${[...files.keys()].join(' ')}`).toBe(true);
    }
    expect(files.get('/boot/grub/grub.cfg')?.sha256).toBe(sha256(renderGrubConfig(spec)));
    expect(files.get('/virtualinux/blades.map')?.sha256).toBe(sha256(renderBladeMap(spec)));
    expect(files.get('/virtualinux/hosts')?.sha256).toBe(sha256(renderHosts(spec)));
    // the spec the lab installs is the example with the lab's SSH key in access.sshKeys
    const installed = labSpec(labPaths(dir).spec).spec;
    expect(installed.access.sshKeys).toEqual([readFileSync(`${labPaths(dir).sshKey}.pub`, 'utf8').trim()]);
    expect(files.get('/virtualinux/authorized_keys')?.sha256).toBe(sha256(renderAuthorizedKeys(installed)));
    // the blades' virtualinux command: the DVD's Node and installer, and the spec they use by default
    for (const path of [
      '/virtualinux/runtime/node',
      '/virtualinux/runtime/installer.mjs',
      '/virtualinux/cluster.json',
    ]) {
      expect(files.has(path), `${path} on VLBOOT: ${[...files.keys()].join(' ')}`).toBe(true);
    }
    // the VG, read by the host's LVM from a loop device: tagged with the cluster, every volume there
    expect(clean.volumeGroups).toHaveLength(1);
    const [vg] = clean.volumeGroups;
    expect(vg?.name).toBe('vl_lab');
    expect(vg?.tags).toEqual(expect.arrayContaining(['virtualinux', 'vl.cluster=lab']));
    expect(vg?.tags.some((t) => t.startsWith('vl.boot='))).toBe(true);
    const lvs = new Map(vg?.logicalVolumes.map((lv) => [lv.name, lv]));
    expect([...lvs.keys()].sort()).toEqual(
      [
        'img_debian-12',
        'img_node',
        'node_node01',
        'node_node02',
        'node_node03',
        'shared_home',
        'vl_meta',
      ].sort(),
    );
    expect(lvs.get('img_node')?.readOnly).toBe(true);
    expect(lvs.get('img_node')?.tags.some((t) => t.startsWith('vl.image='))).toBe(true);
    for (const blade of ['node01', 'node02', 'node03']) {
      expect(lvs.get(`node_${blade}`)?.tags).toEqual(expect.arrayContaining([blade, 'vl.ready']));
      expect(lvs.get(`node_${blade}`)?.bytes).toBe(2 * 2 ** 30);
    }
    expect(lvs.get('vl_meta')?.tags.some((t) => t.startsWith('vl.meta='))).toBe(true);
  }, 300_000);

  test("the DVD's Install entry: the guided installer from the boot's spec, walked on the serial console to the Review of the installed LUN; left with Ctrl-C, then u in the menu installs again: nothing to do, nothing written", async () => {
    const before = statSync(lunFile()).mtimeMs;
    const guided = await lab(dir, ['install', '--guided', '--iso', iso]);
    expect(guided.stderr).not.toMatch(STACK);
    expect(guided.exitCode, guided.stderr).toBe(0);
    expect(guided.stdout).toContain('installer: the guided installer is on its console');
    const installer = labMachine(dir, 'installer');
    const screens = new SerialScreens(installer);
    const { ctrlC } = SERIAL_KEYS;
    try {
      await walkToReview(screens);
      // the plan comes when the LUN is read: the Review draws "Planning" first
      const review = await screens.shows(/5\/5 Review[\s\S]*holds\s+this\s+cluster,\s+complete/, 600_000);
      expect(review).not.toContain('ERASE');
      await screens.keys(ctrlC);
      await screens.shows(/Leave the installer\?/, 60_000);
      await screens.keys('y');
      await screens.shows(/Back from the guided installer \(exit status 0\)\./, 120_000);
      // the menu's u: the unattended install again, from the spec the boot handed over
      await screens.keys('u');
      const verdict = await screens.shows(new RegExp(`${RESULT_MARKER}[^\\n]*\\n`), 1_200_000);
      expect(verdict).toMatch(/installed cluster lab: 3 blades, .*; already installed, nothing to do on /);
      expect(statSync(lunFile()).mtimeMs).toBe(before);
      // s gives the root shell for what follows
      await screens.keys('s');
      await screens.shows(/Root shell[\s\S]*# $/m, 60_000);
    } catch (error) {
      await backToShell(dir, screens);
      throw error;
    }
  }, 1_200_000);

  test('in its shell, the same install has nothing to do; --dry-run shows the plan and writes nothing', async () => {
    const before = statSync(lunFile()).mtimeMs;
    const dry = await onInstaller(dir, ['virtualinux', 'install', '--spec', SPEC, '--dry-run']);
    expect(dry.exitCode, dry.stdout).toBe(0);
    expect(dry.stdout).toContain('holds this cluster, complete');
    expect(dry.stdout).toContain('nothing to do: the cluster is installed');
    expect(dry.stdout).toContain('dry run: nothing was written');
    const again = await onInstaller(dir, ['virtualinux', 'install', '--spec', SPEC, '--yes']);
    expect(again.exitCode, again.stdout).toBe(0);
    expect(again.stdout).toContain('cluster lab is installed on');
    expect(statSync(lunFile()).mtimeMs).toBe(before);
    expect(await inspect(dir)).toEqual(clean);
  }, 600_000);

  test("reset from the menu's Recovery entry: node02's drift is listed, its layer replaced by a factory one that keeps /root; no other volume changes; node02 boots healthy", async () => {
    // vl_meta is not among them: a reset holds it (the cluster's reset lock) and logs itself there
    const others = ['node_node01', 'node_node03', 'img_node', 'shared_home'];
    const before = await volumeHashes(dir, others);
    const drift = await onInstaller(dir, ['virtualinux', 'drift', '--spec', SPEC, 'node02']);
    expect(drift.exitCode, drift.stdout).toBe(0);
    expect(drift.stdout).toMatch(/^node02: \d+ added .*deleted/m);
    expect(drift.stdout).toMatch(/^ {2}deleted +directory +\/etc\/ssh$/m);
    expect(drift.stdout).toMatch(/^ {2}changed +file +\/etc\/fstab$/m);
    expect(drift.stdout).toMatch(/^ {2}added +file +\/root\/notes$/m);
    expect(drift.stdout).toMatch(/^ {2}added +file +\/var\/tmp\/fill$/m);

    const unknown = await onInstaller(dir, ['virtualinux', 'reset', '--spec', SPEC, '--yes', 'node09']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stdout).toContain('cluster lab has no blade node09');

    // the reset from the menu's Recovery entry (f): the blades listed, node02 picked, /root kept,
    // what it discards shown, its name typed
    const installer = labMachine(dir, 'installer');
    const screens = new SerialScreens(installer);
    await screens.keys('exit\r');
    await screens.shows(/Back from the shell \(exit status \d+\)\./, 60_000);
    try {
      await screens.keys('f');
      const listed = await screens.shows(/Blades to reset \(names, or all; Enter alone leaves\): /, 120_000);
      expect(listed).toMatch(/^ {2}node02 +52:54:00:\S+ +10\.42\.0\.12$/m);
      await screens.keys('node02\r');
      await screens.shows(/Keep \/root from the old layers in the new ones\? \(y\/N\): /, 60_000);
      await screens.keys('y\r');
      const discards = await screens.shows(/Type node02 to go on: /, 600_000);
      // the listing is shortened to 20 entries: the deletion and the changes come before the additions
      expect(discards).toMatch(/^node02: \d+ added .*, 1 deleted$/m);
      expect(discards).toMatch(/^ {2}deleted +directory +\/etc\/ssh$/m);
      // by kind, whatever kernel lines come between them: deleted, then changed, then added
      const order = ['deleted', 'replaced', 'changed', 'added'];
      const kinds = discards
        .split('\n')
        .flatMap((line) => /^ {2}(deleted|replaced|changed|added) +/.exec(line)?.[1] ?? []);
      expect(kinds).toHaveLength(20);
      expect(kinds[0]).toBe('deleted');
      expect(kinds).toEqual([...kinds].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
      expect(discards).toMatch(/^ {2}\.\.\. and \d+ more \(virtualinux drift node02 lists all\)$/m);
      expect(discards).toContain('kept (--keep-data): /root');
      await screens.keys('node02\r');
      const reset = await screens.shows(/Back from recovery \(exit status \d+\)\./, 600_000);
      expect(reset).not.toMatch(STACK);
      expect(reset).toMatch(/node02 reset to factory state on /);
      expect(reset).toContain('Back from recovery (exit status 0).');
      expect(installer.serialLog()).not.toContain(readFileSync(labPaths(dir).chapSecret, 'utf8').trim());
      await screens.keys('s');
      await screens.shows(/Root shell[\s\S]*# $/m, 60_000);
    } catch (error) {
      await backToShell(dir, screens);
      throw error;
    }
    // the blade's layer has its name, size and tags again; nothing else on the LUN changed
    expect(await inspect(dir)).toEqual(clean);
    expect(await volumeHashes(dir, others)).toEqual(before);

    // again from blade B (node01) while A (node02) is off: the virtualinux command the install put
    // on VLBOOT, the cluster's spec from there, the LUN through the session that holds B's root
    const shared = ['img_node', 'shared_home', 'node_node03'];
    const sharedBefore = await volumeHashes(dir, shared);
    const [node01] = await labBoot(labContextFor(dir), ['node01']);
    if (!node01) throw new Error('node01 did not start');
    try {
      await node01.waitFor(/^node01 login:/m, 900_000);
      // B's own files, by checksum (its layer itself changes as it runs: logs, timers); not
      // /etc/lvm, where LVM keeps its backup of the VG's metadata after each change it makes
      const filesOfB = [
        'sh',
        '-c',
        'find /etc /root /usr/local -xdev -path /etc/lvm -prune -o -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum',
      ];
      const bBefore = (await onBlade(dir, 'node01', filesOfB)).stdout;
      const fromB = await onBlade(
        dir,
        'node01',
        ['sh', '-c', 'virtualinux drift node02 && virtualinux reset --keep-data --yes node02'],
        900,
      );
      expect(fromB.exitCode, fromB.stdout).toBe(0);
      expect(fromB.stdout).toContain(
        `SAN: already logged in to ${spec.san.target} at 10.0.2.2:3260: that session is used`,
      );
      // what the reset from the DVD kept is node02's drift now
      expect(fromB.stdout).toMatch(/^ {2}added +file +\/root\/notes$/m);
      expect(fromB.stdout).toMatch(/^node02 reset to factory state on /m);
      expect(fromB.stdout).not.toMatch(STACK);
      expect((await onBlade(dir, 'node01', filesOfB)).stdout).toBe(bBefore);
    } finally {
      await node01.stop();
    }
    expect(await volumeHashes(dir, shared)).toEqual(sharedBefore);
    expect(await inspect(dir)).toEqual(clean);

    const [node02] = await labBoot(labContextFor(dir), ['node02']);
    if (!node02) throw new Error('node02 did not start');
    try {
      await node02.waitFor(/^node02 login:/m, 900_000);
      const facts = await onBlade(dir, 'node02', [
        'sh',
        '-c',
        'test -f /etc/ssh/sshd_config && echo ssh-back; grep -q garbage /etc/fstab || echo fstab-factory; cat /root/notes; test -e /var/tmp/fill || echo fill-gone; hostname',
      ]);
      expect(facts.stdout.trim().split('\n')).toEqual([
        'ssh-back',
        'fstab-factory',
        'keep-me',
        'fill-gone',
        'node02',
      ]);
      // a reset does not pull the root from under the running node02: refused before its layer is
      // even mounted here (ext4 another machine writes reads as "Bad message"), nothing written;
      // drift, which would read it, is refused too
      const untouched = ['img_node', 'vl_meta', 'node_node01', 'node_node03'];
      const unchanged = await volumeHashes(dir, untouched);
      const running = await onInstaller(
        dir,
        [
          'sh',
          '-c',
          `virtualinux drift --spec ${SPEC} node02; echo "drift exit $?"; virtualinux reset --spec ${SPEC} --yes node02`,
        ],
        600,
      );
      expect(running.stdout).toMatch(
        /virtualinux: node02 is running: its layer node_node02 is mounted by [^,]+, and a filesystem another machine writes cannot be read consistently from here$/m,
      );
      expect(running.stdout).toMatch(/^drift exit 1$/m);
      expect(running.exitCode, running.stdout).toBe(1);
      expect(running.stdout).toMatch(
        /virtualinux: a blade to reset is running: node02 \(node_node02 is mounted by [^)]+\); a reset would pull the root from under it/,
      );
      expect(running.stdout).toMatch(/power the blade off first/);
      expect(running.stdout).not.toMatch(STACK);
      expect(await volumeHashes(dir, untouched)).toEqual(unchanged);
      expect((await onBlade(dir, 'node02', ['cat', '/root/notes'])).stdout.trim()).toBe('keep-me');
    } finally {
      await node02.stop();
    }
  }, 2_400_000);

  test('refusals: wrong CHAP secret, unreachable portal, a LUN too small, foreign data; each says why, and nothing is written', async () => {
    const refused = async (script: string, message: RegExp) => {
      const before = statSync(lunFile()).mtimeMs;
      const result = await onInstaller(dir, ['sh', '-c', script], 600);
      expect(result.exitCode, result.stdout).toBe(1);
      expect(result.stdout).toMatch(message);
      expect(result.stdout).not.toMatch(STACK);
      expect(statSync(lunFile()).mtimeMs).toBe(before);
    };
    await refused(
      `umask 077; echo wrong-secret-123 > /tmp/wrong.secret; sed 's#file:/etc/virtualinux/chap.secret#file:/tmp/wrong.secret#' ${SPEC} > /tmp/wrong-chap.yaml; virtualinux install --spec /tmp/wrong-chap.yaml --yes`,
      /virtualinux: the SAN at 10\.0\.2\.2:3260 refused the login to iqn\.2026-11\.org\.virtualinux:lab\.san \(authorization failure\)/,
    );
    expect((await onInstaller(dir, ['cat', '/tmp/wrong-chap.yaml'])).stdout).not.toContain(
      'wrong-secret-123',
    );
    await refused(
      `sed 's#10.0.2.2:3260#10.0.2.2:3999#' ${SPEC} > /tmp/unreachable.yaml; virtualinux install --spec /tmp/unreachable.yaml --yes`,
      /virtualinux: no portal of the SAN offers iqn\.2026-11\.org\.virtualinux:lab\.san: 10\.0\.2\.2:3999 does not answer/,
    );
    await refused(
      // the spec says the LUN is large enough (else the spec check refuses it first); the LUN is not
      `sed -e 's#bladeLayer: 2GiB#bladeLayer: 20GiB#' -e 's#size: 40GiB#size: 100GiB#' ${SPEC} > /tmp/too-big.yaml; virtualinux install --spec /tmp/too-big.yaml --yes --wipe lab`,
      /virtualinux: the LUN .* is too small for cluster lab: it needs .*, the LUN has 40 GiB/,
    );
    expect(await inspect(dir)).toEqual(clean);
    // foreign data: a file system written over the whole LUN, on the host
    await execa('mkfs.ext4', ['-q', '-F', '-L', 'somebodys', lunFile()]);
    await refused(
      `virtualinux install --spec ${SPEC} --yes`,
      /virtualinux: the LUN .* holds data that is not this cluster:(\n\s+- .*)*\n\s+- .*ext4.*somebodys/,
    );
    // nor is a blade of a cluster that the LUN does not hold reset
    await refused(
      `virtualinux reset --spec ${SPEC} --yes node01`,
      /virtualinux: cluster lab is not installed on the LUN .*: no volume group vl_lab tagged for it/,
    );
  }, 1_200_000);

  test("killed at two actions, the rerun goes on from where the last stopped, and the DVD's Install entry (the guided installer on the serial console) writes the rest, the bulk of the install, to the layout of a clean run", async () => {
    const killedAt = async (fault: string, extra: string[] = []) => {
      const result = await onInstaller(dir, [
        'env',
        `VIRTUALINUX_FAULT_AT=${fault}`,
        'virtualinux',
        'install',
        '--spec',
        SPEC,
        '--yes',
        ...extra,
      ]);
      expect(result.stdout).toContain(
        `VIRTUALINUX_FAULT_AT: killing the installer in action ${fault.replace(/:(\d+)$/, ', command $1')}`,
      );
      expect(result.exitCode, result.stdout).toBe(137);
    };
    // after the wipe, while the GPT is written
    await killedAt('partition:1', ['--wipe', 'lab']);
    // in the middle of unpacking the node image onto img_node
    await killedAt('image:node:7');
    // the rest by the DVD's Install entry, as an administrator at the console would finish it: the
    // guided installer, in the boot whose killed installs left their session and volumes active,
    // writes img_node again, the virtual-cluster images, the blades' layers, VLBOOT and vl_meta
    const installer = labMachine(dir, 'installer');
    const screens = new SerialScreens(installer);
    const { enter } = SERIAL_KEYS;
    await screens.keys('exit\r');
    await screens.shows(/Back from the shell \(exit status \d+\)\./, 60_000);
    try {
      await screens.keys('i');
      await screens.shows(/\[ Begin \]/, 300_000);
      await walkToReview(screens);
      const review = await screens.shows(
        /5\/5 Review[\s\S]*holds\s+an\s+interrupted\s+install\s+of\s+this\s+cluster;\s+it\s+will\s+be\s+completed/,
        600_000,
      );
      expect(review).not.toContain('ERASE');
      // the focus is on Install: no LUN is erased, nothing to type
      await screens.keys(enter);
      const done = await screens.shows(/Cluster lab is installed on [\s\S]*Leave the installer/, 1_800_000);
      expect(done).not.toMatch(STACK);
      expect(done).toMatch(/cluster\.yaml is saved in vl_lab\/vl_meta/);
      // Done comes with Leave the installer chosen: Enter leaves
      expect(done).toMatch(/> \[ Leave the installer \]/);
      await screens.keys(enter);
      await screens.shows(/Back from the guided installer \(exit status 0\)\./, 120_000);
      await screens.keys('s');
      await screens.shows(/Root shell[\s\S]*# $/m, 60_000);
    } catch (error) {
      await backToShell(dir, screens);
      throw error;
    }
    expect(installer.serialLog()).not.toContain(readFileSync(labPaths(dir).chapSecret, 'utf8').trim());
    expect(await inspect(dir)).toEqual(clean);
    // and once more: nothing left to do
    const done = await onInstaller(dir, ['virtualinux', 'install', '--spec', SPEC, '--yes']);
    expect(done.stdout).toContain('cluster lab is installed on');
  }, 2_400_000);

  test('lab down stops every machine and the SAN, by pid', async () => {
    const state = readState(dir);
    const pids = [state?.san.pid, ...Object.values(state?.machines ?? {}).map((m) => m.pid)] as number[];
    // the SAN and the installer: the tests above powered the blades off, and a stopped machine
    // leaves the lab's state
    expect(Object.keys(state?.machines ?? {})).toEqual(['installer']);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isRunning(pid)).toBe(true);
    const down = await lab(dir, ['down']);
    expect(down.exitCode).toBe(0);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
    expect(readState(dir)).toBeUndefined();
  }, 120_000);
});
