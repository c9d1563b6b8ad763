/**
 * The engine port on the install engine, on a machine and SAN replayed from recorded outputs
 * (recorded-san.ts): what the screens get from the real engine, that the CHAP secret reaches no
 * command and no event, that a dry run writes nothing, and that Stop stops between two commands.
 */
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { InstallEvent } from '../../../../installer/engine/install.ts';
import { InstallRefusal } from '../../../../installer/engine/refusal.ts';
import { byPathName } from '../../../../installer/engine/san.ts';
import { InstallEnginePort } from '../../../../installer/tui/engine-port.ts';
import { failureOf, type PlanRequest } from '../../../../installer/tui/port.ts';
import { dhcpPacket } from '../engine/dhcp-packets.ts';
import { exampleSpec } from '../engine/fixtures/recorded.ts';
import { SECRET } from './fixtures.ts';
import {
  ISCSI_ERR_LOGIN_AUTH_FAILED,
  ISCSI_ERR_TRANS,
  PORTAL,
  RecordedSan,
  type RecordedSanOptions,
  TARGET,
} from './recorded-san.ts';

const GiB = 2 ** 30;
const INITIATOR = 'iqn.2026-11.org.virtualinux:lab.installer';

const sans: RecordedSan[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const san of sans.splice(0)) rmSync(san.root, { recursive: true, force: true });
  for (const server of servers.splice(0)) server.close();
});

function machine(options: RecordedSanOptions) {
  const san = new RecordedSan(options);
  sans.push(san);
  const port = new InstallEnginePort({
    root: san.root,
    workDir: join(san.root, 'run/virtualinux/install'),
    initiator: INITIATOR,
    lunsAppearMs: 0,
    makeRunner: san.makeRunner,
  });
  return { san, port };
}

/** a TCP port on this machine that accepts, or (closed) one that refuses */
async function tcpPort(open: boolean): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  if (open) servers.push(server);
  else await new Promise((resolve) => server.close(resolve));
  return port;
}

const request = (wipe = false): PlanRequest => ({ spec: exampleSpec(), chapSecret: SECRET, wipe });

/**
 * The secret in none of the commands as they were asked (arguments, environment, stdin) nor in
 * these texts; and every runner the port made hides it in what it shows (events, failures).
 */
function expectHidden(san: RecordedSan, ...texts: string[]) {
  expect(san.secrets.length).toBeGreaterThan(0);
  for (const secrets of san.secrets) expect(secrets.redact(`password = ${SECRET}`)).toBe('password = ***');
  const asked = JSON.stringify(san.ran, (_, value) => (value instanceof Uint8Array ? String(value) : value));
  expect(asked).not.toContain(SECRET);
  for (const text of texts) expect(text).not.toContain(SECRET);
}

/** the tools that only read the machine, the SAN or the LUN */
const READERS = [
  'ip',
  'iscsiadm',
  'lsblk',
  'lvs',
  'modprobe',
  'sfdisk',
  'systemctl',
  'udevadm',
  'vgs',
  'wipefs',
];

const FRESH_ACTIONS = [
  'partition',
  'format-vlboot',
  'create-pv',
  'create-vg',
  'volume:vl_meta',
  'image:node',
  'image:debian-12',
  'image:ubuntu-24.04',
  'image:rocky-9',
  'blade:node01',
  'blade:node02',
  'blade:node03',
  'shared:home',
  'vlboot',
  'meta',
];

describe('observeNetwork', () => {
  test('the interfaces as ip -j shows them, loopback left out, the driver from sysfs; the portal the boot names answers', async () => {
    const listening = await tcpPort(true);
    const { san, port } = machine({
      luns: {},
      cmdline: `boot=live vl.mode=install storage_ip=127.0.0.1 storage_port=${listening} sif=eth0`,
    });
    expect(await port.observeNetwork()).toEqual({
      interfaces: [
        { name: 'ifb0', link: 'down', mac: '9e:42:19:07:9a:56' },
        { name: 'ifb1', link: 'down', mac: '0a:f9:6a:37:6d:58' },
        {
          name: 'eth0',
          link: 'up',
          driver: 'virtio_net',
          mac: '02:fc:00:00:00:01',
          addresses: ['192.0.2.2/24'],
        },
      ],
      portal: { portal: `127.0.0.1:${listening}`, answers: true },
    });
    expect(san.lines()).toEqual(['ip -j addr show']);
  });

  test('a portal that refuses says why (the first of a storage_ip list); a boot that names none gives none', async () => {
    const closed = await tcpPort(false);
    const refusing = machine({ luns: {}, cmdline: `storage_ip=127.0.0.1,10.0.0.9 storage_port=${closed}` });
    expect((await refusing.port.observeNetwork()).portal).toEqual({
      portal: `127.0.0.1:${closed}`,
      answers: false,
      detail: 'connection refused',
    });
    const silent = machine({ luns: {}, cmdline: 'boot=live vl.mode=install' });
    expect((await silent.port.observeNetwork()).portal).toBeUndefined();
  });
});

describe('enlist', () => {
  test("the Ethernet NICs the live system left down are brought up, then a blade's DISCOVER gives its MAC", async () => {
    const { san, port } = machine({ luns: {} });
    const macs: string[] = [];
    const enlisting = await port.enlist((mac) => macs.push(mac), { port: 0, address: '127.0.0.1' });
    try {
      expect(san.lines()).toEqual(['ip -j addr show', 'ip link set dev ifb0 up', 'ip link set dev ifb1 up']);
      const socket = createSocket('udp4');
      await new Promise((resolve) => socket.send(dhcpPacket(), enlisting.port, '127.0.0.1', resolve));
      socket.close();
      await vi.waitFor(() => expect(macs).toEqual(['52:54:00:42:00:05']), { timeout: 5000 });
    } finally {
      await enlisting.close();
    }
  });
});

describe('discoverSan', () => {
  test('each portal probed; each LUN of the target observed and told by who holds it; the sessions opened are closed again', async () => {
    const { san, port } = machine({
      luns: { 1: 'fresh', 2: 'foreign', 3: 'complete' },
      // a SAN behind NAT names its own address in SendTargets; the login uses the portal asked
      portals: { '10.0.2.2:3260': `127.0.0.1:3260,1 ${TARGET}\n`, '10.0.9.9:3260': ISCSI_ERR_TRANS },
    });
    const discovery = await port.discoverSan({
      portals: ['10.0.2.2:3260', '10.0.9.9'],
      chap: { user: 'lab', secret: SECRET },
    });
    expect(discovery.portals).toEqual([
      { portal: '10.0.2.2:3260', answers: true },
      {
        portal: '10.0.9.9:3260',
        answers: false,
        detail: 'does not answer (connection refused or timed out)',
      },
    ]);
    expect(discovery.luns.map((l) => [l.target, l.lun, l.bytes, l.device, l.owner, l.cluster])).toEqual([
      [TARGET, 1, 40 * GiB, '/dev/loop0', 'empty', undefined],
      [TARGET, 2, 40 * GiB, '/dev/loop7', 'foreign', undefined],
      [TARGET, 3, 40 * GiB, '/dev/loop0', 'cluster', 'lab'],
    ]);
    expect(discovery.luns[0]?.contents).toEqual([]);
    expect(discovery.luns[1]?.contents).toEqual([
      'a GPT partition table with 3 partitions',
      'partition 1 "data" (10 GiB, Linux filesystem): an ext4 filesystem labelled "data"',
      'partition 2 "swap" (2 GiB, Linux swap): swap space labelled "swap"',
      'partition 3 "vg0" (8 GiB, Linux LVM): an LVM physical volume',
      'LVM volume group vg0 (8 GiB): 1 logical volume: root 6 GiB',
    ]);
    expect(discovery.luns[2]?.contents.at(-1)).toMatch(
      /^LVM volume group vl_lab \(39\.5 GiB, VirtuaLinux cluster "lab"\): 9 logical volumes: /,
    );
    const node = `-m node -T ${TARGET} -p 10.0.2.2:3260`;
    expect(san.lines().filter((l) => l.startsWith('iscsiadm -m node'))).toEqual([
      `iscsiadm ${node} -o delete`,
      `iscsiadm ${node} -o new`,
      `iscsiadm ${node} --login`,
      `iscsiadm ${node} --logout`,
    ]);
    expect(san.sessions.size).toBe(0);
    // the secret reaches iscsid through its configuration file, readable by root only
    const conf = join(san.root, 'etc/iscsi/iscsid.conf');
    expect(readFileSync(conf, 'utf8')).toContain(`node.session.auth.password = ${SECRET}\n`);
    expect(statSync(conf).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(san.root, 'etc/iscsi/initiatorname.iscsi'), 'utf8')).toBe(
      `InitiatorName=${INITIATOR}\n`,
    );
    expectHidden(san, JSON.stringify(discovery));
  });

  test('with the interface chosen on the Network screen, sif is brought up before a portal is asked', async () => {
    const { san, port } = machine({ luns: { 1: 'fresh' } });
    await port.discoverSan({ portals: ['10.0.2.2'], fabric: { sif: 'eth0', modules: ['virtio_net'] } });
    const lines = san.lines();
    const firstIscsi = lines.findIndex((l) => l.startsWith('iscsiadm'));
    expect(lines.slice(0, 3)).toEqual([
      'modprobe virtio_net',
      'ip -j addr show dev eth0',
      'ip link set dev eth0 up',
    ]);
    expect(firstIscsi).toBeGreaterThan(2);
    // without one (a test, a machine already up), nothing is brought up
    const { san: other, port: without } = machine({ luns: { 1: 'fresh' } });
    await without.discoverSan({ portals: ['10.0.2.2'] });
    expect(other.lines().filter((l) => l.startsWith('modprobe') || l.startsWith('ip link'))).toEqual([]);
  });

  test('a portal that offers no target to this initiator says so, and names the initiator for the ACL', async () => {
    const { port } = machine({ luns: {}, portals: { '10.0.2.2:3260': '' } });
    expect(await port.discoverSan({ portals: ['10.0.2.2'] })).toEqual({
      portals: [
        {
          portal: '10.0.2.2:3260',
          answers: true,
          detail: `answers, but offers no target to initiator ${INITIATOR}`,
        },
      ],
      luns: [],
    });
  });

  test('a login the target refuses: portal, target and CHAP user named, the secret nowhere', async () => {
    const { san, port } = machine({ luns: { 1: 'fresh' }, loginExit: ISCSI_ERR_LOGIN_AUTH_FAILED });
    const error = await port
      .discoverSan({ portals: ['10.0.2.2:3260'], chap: { user: 'lab', secret: SECRET } })
      .catch((e: unknown) => e);
    expect(failureOf(error)).toEqual({
      message: `the SAN at 10.0.2.2:3260 refused the login to ${TARGET} (authorization failure)`,
      hint: `check the CHAP user (lab) and secret, and that the target lets initiator ${INITIATOR} in`,
    });
    expect(san.sessions.size).toBe(0);
    expectHidden(san);
  });
});

describe('plan', () => {
  test('a fresh LUN: the plan of install --dry-run as the Review shows it, every command in its transcript, nothing written', async () => {
    const { san, port } = machine({ luns: { 1: 'fresh' } });
    const summary = await port.plan(request());
    const lun = `/dev/loop0 (40 GiB) (${byPathName(PORTAL, TARGET, 1)})`;
    expect(summary.lun).toBe(lun);
    expect(summary.verdict).toBe('fresh');
    expect(summary.actions.map((a) => a.id)).toEqual(FRESH_ACTIONS);
    expect(summary.lines[0]).toBe(`LUN ${lun}: empty; a new install`);
    expect(summary.lines).toContain('  15 actions:');
    // observed, logged in and out again: nothing but readers ran
    expect([...new Set(san.ran.map((c) => c.tool))].filter((t) => !READERS.includes(t))).toEqual([]);
    expect(san.sessions.size).toBe(0);
    expect(existsSync(join(san.root, 'etc/virtualinux/chap.secret'))).toBe(false);
    const transcript = port.reviewedTranscript();
    expect(transcript).toContain(`SAN: portal 10.0.2.2:3260 offers ${TARGET}`);
    expect(transcript.some((l) => l.startsWith(`(dry run) $ sgdisk --clear --new=1:1M:+1M`))).toBe(true);
    expect(transcript.filter((l) => l.startsWith('(dry run) $ '))).toHaveLength(96);
    expectHidden(san, transcript.join('\n'), JSON.stringify(summary));
  });

  test("a LUN with foreign data is refused with the engine's message and hint; wipe plans its erasure", async () => {
    const { san, port } = machine({ luns: { 1: 'foreign' } });
    const refusal = await port.plan(request()).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(InstallRefusal);
    const failure = failureOf(refusal);
    expect(failure.message).toMatch(
      /^the LUN \/dev\/loop7 \(40 GiB\) holds data that is not this cluster:\n/,
    );
    expect(failure.message).toContain(
      '  - partition 1 "data" (10 GiB, Linux filesystem): an ext4 filesystem',
    );
    expect(failure.hint).toBe(
      'to erase all of it and install cluster lab there, run the install again with --wipe lab',
    );
    const wiped = await port.plan(request(true));
    expect(wiped.verdict).toBe('wiped');
    expect(wiped.actions[0]?.id).toBe('wipe');
    expect(wiped.actions).toHaveLength(FRESH_ACTIONS.length + 1);
    expect([...new Set(san.ran.map((c) => c.tool))].filter((t) => !READERS.includes(t))).toEqual([]);
  });
});

describe('apply', () => {
  const collect = () => {
    const events: InstallEvent[] = [];
    return { events, sink: { emit: (event: InstallEvent) => events.push(event) } };
  };

  test('the reviewed plan runs: its events reach the screen, the outcome says what ran; the secret in no command and no event', async () => {
    const { san, port } = machine({ luns: { 1: 'fresh' } });
    const summary = await port.plan(request());
    const reviewed = san.ran.length;
    const { events, sink } = collect();
    const outcome = await port.apply(sink, new AbortController().signal);
    expect(events.filter((e) => e.type === 'action-end').map((e) => e.id)).toEqual(FRESH_ACTIONS);
    expect(events.find((e) => e.type === 'plan-end')).toMatchObject({ ran: 15, skipped: 0, dryRun: false });
    expect(outcome).toEqual({
      lun: summary.lun,
      created: summary.actions.map((a) => a.description),
      specSaved: 'vl_lab/vl_meta on the LUN (as cluster.json, defaults filled in)',
    });
    const ran = san.lines().slice(reviewed);
    // the LUN as lsblk names it (the recorded one was /dev/loop0)
    expect(ran.filter((l) => l.startsWith('sgdisk --clear'))).toEqual([
      'sgdisk --clear --new=1:1M:+1M --typecode=1:ef02 --change-name=1:vl-bios-boot --new=2:2M:+512M --typecode=2:ef00 --change-name=2:VLBOOT --new=3:514M:0 --typecode=3:8e00 --change-name=3:vl_lab /dev/loop0',
    ]);
    expect(ran.slice(-2)).toEqual([
      'vgchange -an vl_lab',
      `iscsiadm -m node -T ${TARGET} -p 10.0.2.2:3260 --logout`,
    ]);
    // where the spec says the secret is, for the commands run later from this shell
    const secretFile = join(san.root, 'etc/virtualinux/chap.secret');
    expect(readFileSync(secretFile, 'utf8')).toBe(`${SECRET}\n`);
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    expectHidden(san, JSON.stringify(events), JSON.stringify(outcome));
  });

  test('a session found open (an install killed in this boot left it): the Review keeps it, the install completes on it, then logs out', async () => {
    const { san, port } = machine({ luns: { 1: 'fresh' } });
    const session = `10.0.2.2:3260 ${TARGET}`;
    san.sessions.add(session);
    await port.plan(request());
    expect(san.sessions.has(session)).toBe(true);
    expect(san.lines().filter((l) => /--log(in|out)$/.test(l))).toEqual([]);
    const reviewed = san.ran.length;
    await port.apply({ emit: () => {} }, new AbortController().signal);
    const ran = san.lines().slice(reviewed);
    expect(ran.filter((l) => /--log(in|out)$/.test(l))).toEqual([
      `iscsiadm -m node -T ${TARGET} -p 10.0.2.2:3260 --logout`,
    ]);
    expect(ran.slice(-2)[0]).toBe('vgchange -an vl_lab');
    expect(san.sessions.size).toBe(0);
  });

  test('Stop: the running command ends, no other starts, and the install says it was stopped', async () => {
    const { san, port } = machine({ luns: { 1: 'fresh' } });
    await port.plan(request());
    const controller = new AbortController();
    const { events, sink } = collect();
    const stopAt = (event: InstallEvent) =>
      event.type === 'command-start' && event.command.tool === 'pvcreate';
    const error = await port
      .apply(
        {
          emit: (event) => {
            sink.emit(event);
            if (stopAt(event)) controller.abort();
          },
        },
        controller.signal,
      )
      .catch((e: unknown) => e);
    expect(failureOf(error)).toEqual({ message: 'stopped by the administrator' });
    expect(san.lines().at(-1)).toMatch(/^pvcreate /);
    expect(san.lines().some((l) => l.startsWith('vgcreate'))).toBe(false);
    const failed = events.find((e) => e.type === 'action-failed');
    expect(failed).toMatchObject({ id: 'create-vg', message: 'stopped by the administrator' });
    expect(events.filter((e) => e.type === 'action-end').map((e) => e.id)).toEqual([
      'partition',
      'format-vlboot',
      'create-pv',
    ]);
  });

  test('a LUN that changed since the Review: the install stops before the first command of the plan', async () => {
    const { san, port } = machine({ luns: { 1: 'fresh' } });
    await port.plan(request());
    san.holds(1, 'partial');
    const error = await port.apply(collect().sink, new AbortController().signal).catch((e: unknown) => e);
    expect(failureOf(error).message).toBe(
      'the LUN changed since the Review: the plan has 9 actions now, the Review showed 15; nothing of it was written',
    );
    expect([...new Set(san.ran.map((c) => c.tool))].filter((t) => !READERS.includes(t))).toEqual([]);
  });

  test('without a reviewed plan there is nothing to install', async () => {
    const { san, port } = machine({ luns: { 1: 'foreign' } });
    await port.plan(request()).catch(() => undefined);
    const error = await port.apply(collect().sink, new AbortController().signal).catch((e: unknown) => e);
    expect(failureOf(error).message).toBe('there is no reviewed plan to install');
    expect(san.ran.filter((c) => !READERS.includes(c.tool))).toEqual([]);
  });
});
