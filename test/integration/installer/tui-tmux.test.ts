/**
 * The guided installer on a real terminal: tmux runs `install --tui --dry-run` as guided.tsx wires
 * it (test/integration/harness/recorded-tui.tsx: the real engine port and planner, the SAN's
 * answers replayed by RecordedSan, a fake named so: this host has no iSCSI initiator), send-keys
 * types the whole dialogue, capture-pane reads every screen. Keys are sent as a fast typist or a
 * paste sends them: several in one chunk. At 80×24 (a serial console) and at 200×60.
 */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { exampleSpecText } from '../../../core/spec/example.ts';
import { dhcpPacket } from '../../unit/installer/engine/dhcp-packets.ts';
import { SECRET } from '../../unit/installer/tui/fixtures.ts';

const root = new URL('../../../', import.meta.url).pathname;
const harness = join(root, 'test/integration/harness/recorded-tui.tsx');
const dir = mkdtempSync(join(tmpdir(), 'vl-tui-tmux-'));
/** a tmux server of this test's own, not the user's */
const socket = `vl-tui-${process.pid}`;
afterAll(() => {
  try {
    execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  } catch {
    // no server left: every session ended
  }
  rmSync(dir, { recursive: true, force: true });
});

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

/** a UDP port nobody holds now, for the harness to hear blades' requests on */
async function freeUdpPort(): Promise<number> {
  const probe = createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(resolve));
  return port;
}

/** a blade powered on with PXE: its DHCP DISCOVER, to the harness's port */
async function bladeAsks(port: number, mac: string): Promise<void> {
  const sender = createSocket('udp4');
  await new Promise<void>((resolve, reject) =>
    sender.send(dhcpPacket({ mac }), port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
  );
  sender.close();
}

class Terminal {
  /** every screen read, for what no screen may show */
  readonly seen: string[] = [];
  constructor(
    readonly name: string,
    readonly size: { columns: number; rows: number },
  ) {}

  screen(): string {
    const text = tmux('capture-pane', '-p', '-t', this.name);
    this.seen.push(text);
    return text;
  }

  /** keys by tmux's names (Enter, Tab, BTab, Down) */
  keys(...keys: string[]): void {
    tmux('send-keys', '-t', this.name, ...keys);
  }

  /** text as one chunk, control characters and all: a paste */
  paste(text: string): void {
    tmux('send-keys', '-t', this.name, '-l', text);
  }

  async shows(pattern: RegExp): Promise<string> {
    let last = '';
    await vi.waitFor(
      () => {
        last = this.screen();
        expect(last).toMatch(pattern);
      },
      { timeout: 15_000, interval: 100 },
    );
    return last;
  }

  /** the screen drawn whole: the header on the first row, the key line, nothing past the right edge */
  fits(screen: string, header: RegExp): void {
    const lines = screen.split('\n');
    expect(lines[0]).toMatch(header);
    expect(lines.length).toBeLessThanOrEqual(this.size.rows + 1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(this.size.columns);
    expect(screen).toMatch(/\? help/);
  }
}

const SIZES = [
  { columns: 80, rows: 24 },
  { columns: 200, rows: 60 },
];

describe.each(SIZES)('install --tui --dry-run in tmux at $columns×$rows', (size) => {
  test('send-keys walks every screen to the plan; no screen shows the secret', {
    timeout: 120_000,
  }, async () => {
    const plan = join(dir, `plan-${size.columns}.txt`);
    const blades = join(dir, 'blades.csv');
    writeFileSync(blades, 'node05,52:54:00:42:00:05\nnode06,52:54:00:42:00:06\n');
    const dhcp = await freeUdpPort();
    const name = `tui-${size.columns}`;
    // CI=true would make Ink draw only its last frame: the terminal here is a real one
    const command = `env -u CI -u CONTINUOUS_INTEGRATION node --import tsx ${harness} ${plan} ${blades} ${dhcp}; echo "EXITED $?"; sleep 600`;
    tmux(
      'new-session',
      '-d',
      '-s',
      name,
      '-x',
      String(size.columns),
      '-y',
      String(size.rows),
      '-c',
      root,
      command,
    );
    const term = new Terminal(name, size);
    try {
      // Welcome
      term.fits(await term.shows(/\[ Begin \]/), /VirtuaLinux installer .* \(dry run\)/);
      term.keys('Enter');
      // Network: ! gives a shell on the terminal, and the screen comes back with its status
      term.fits(await term.shows(/1\/5 Network[\s\S]*eth0 +up +virtio_net/), /1\/5 Network/);
      term.keys('!');
      await term.shows(/A root shell\. The installer waits: type exit to come back to it\./);
      term.paste('exit 3\r');
      term.fits(await term.shows(/\(shell: exit 3\) /), /1\/5 Network/);
      term.keys('Down', 'Down', 'Enter');
      await term.shows(/\(\*\) eth0/);
      term.keys('Tab', 'Tab', 'Tab', 'Enter');
      // SAN: portal, CHAP user and secret typed as one chunk; Discover
      await term.shows(/2\/5 SAN/);
      term.paste(`10.0.2.2:3260\tlab\t${SECRET}\t`);
      const masked = await term.shows(/CHAP secret +\*{16}/);
      expect(masked).toMatch(/Portals +10\.0\.2\.2:3260\n/);
      term.keys('Enter');
      const luns = await term.shows(/portal 10\.0\.2\.2:3260 answers[\s\S]*FOREIGN DATA/);
      term.fits(luns, /2\/5 SAN/);
      expect(luns).toMatch(/\( \) +1 +40 GiB .* empty/);
      term.keys('Enter');
      await term.shows(/\(\*\) +1 +40 GiB/);
      term.keys('Tab', 'Tab', 'Enter');
      // Cluster: a range, an import, a blade that asks DHCP
      await term.shows(/3\/5 Cluster/);
      term.paste('lab\t\t\t\tnode[01-03]\t52:54:00:42:00:01\t\r');
      await term.shows(/node\[01-03\] +3 blades[\s\S]*> New blades/);
      term.keys('Tab', 'Tab', 'Tab', 'Enter'); // from New blades, again empty, to the import
      await term.shows(/2 blades imported from blades\.csv/);
      await bladeAsks(dhcp, '52:54:00:42:00:07');
      await term.shows(/52:54:00:42:00:07 +-> node07/);
      term.keys('BTab', 'Enter');
      const cluster = await term.shows(/node07 +1 blade, 52:54:00:42:00:07/);
      term.fits(cluster, /3\/5 Cluster/);
      expect(cluster).toMatch(/node05 +1 blade, 52:54:00:42:00:05/);
      // from the name, where adding put the focus back, to Continue
      term.keys('Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Tab', 'Enter');
      // Images: the layout against the LUN; six blades and three images do not fit in 40 GiB
      const tooBig = await term.shows(
        /4\/5 Images[\s\S]*total +42\.8 GiB +! the LUN has 40 GiB: 2\.8 GiB short/,
      );
      term.fits(tooBig, /4\/5 Images/);
      expect(tooBig).toMatch(/node_\* \(6\) +24 GiB/);
      term.keys('Down', 'Space', 'Down', 'Space'); // leave rocky-9 and ubuntu-24.04
      const images = await term.shows(
        /\[ \] ubuntu-24\.04[\s\S]*total +38\.8 GiB +of the LUN's 40 GiB: 1\.2 GiB left/,
      );
      expect(images).toMatch(/\[ \] rocky-9/);
      expect(images).not.toMatch(/img_rocky-9|img_ubuntu/);
      term.keys('Tab', 'Enter');
      // Review: the plan, then Install, which a dry run answers by printing it
      const review = await term.shows(/5\/5 Review[\s\S]*empty; a new install[\s\S]*> \[ Install \]/);
      term.fits(review, /5\/5 Review/);
      term.keys('Enter');
      await term.shows(/EXITED 0/);
      const printed = readFileSync(plan, 'utf8');
      expect(printed).toMatch(/actions shown, nothing changed\ndry run: nothing was written\n$/);
      expect(printed).toContain('write image debian-12 onto img_debian-12');
      expect(printed).not.toMatch(/rocky-9|ubuntu-24\.04/);
      for (const blade of ['node01', 'node02', 'node03', 'node05', 'node06', 'node07'])
        expect(printed).toContain(`create blade ${blade}'s writable layer node_${blade}`);
      expect(printed).not.toContain(SECRET);
      for (const screen of term.seen) expect(screen).not.toContain(SECRET);
    } finally {
      tmux('kill-session', '-t', name);
    }
  });
});

test('from a spec (--spec) at 80×24: every screen filled, Discover chooses its LUN, Shift-Tab reaches Continue; Ctrl-C y leaves', {
  timeout: 120_000,
}, async () => {
  const spec = join(dir, 'cluster.yaml');
  writeFileSync(spec, exampleSpecText());
  const plan = join(dir, 'plan-spec.txt');
  const name = 'tui-spec';
  const command = `env -u CI -u CONTINUOUS_INTEGRATION VL_SPEC=${spec} VL_SECRET='${SECRET}' node --import tsx ${harness} ${plan}; echo "EXITED $?"; sleep 600`;
  tmux('new-session', '-d', '-s', name, '-x', '80', '-y', '24', '-c', root, command);
  const term = new Terminal(name, { columns: 80, rows: 24 });
  try {
    await term.shows(/\[ Begin \]/);
    term.keys('Enter');
    await term.shows(/1\/5 Network[\s\S]*\(\*\) eth0/);
    term.keys('BTab', 'Enter');
    const san = await term.shows(/2\/5 SAN[\s\S]*CHAP secret +\*{16}/);
    expect(san).toMatch(/Portals +10\.0\.2\.2:3260/);
    term.keys('Tab', 'Tab', 'Tab', 'Enter');
    await term.shows(/portal 10\.0\.2\.2:3260 answers[\s\S]*> \(\*\) +1 +40 GiB/);
    term.keys('Tab', 'Tab', 'Enter');
    await term.shows(/3\/5 Cluster[\s\S]*node\[01-03\] +3 blades/);
    term.keys('BTab', 'Enter');
    await term.shows(/4\/5 Images/);
    term.keys('BTab', 'Enter');
    term.fits(
      await term.shows(/5\/5 Review[\s\S]*empty; a new install[\s\S]*> \[ Install \]/),
      /5\/5 Review/,
    );
    term.keys('C-c');
    await term.shows(/Leave the installer\? Nothing is written yet\./);
    term.keys('y');
    await term.shows(/EXITED 0/);
    expect(readFileSync(plan, 'utf8')).toBe('');
    for (const screen of term.seen) expect(screen).not.toContain(SECRET);
  } finally {
    tmux('kill-session', '-t', name);
  }
});

test("reset --pick on a terminal (the DVD's Recovery entry): the blades listed, a wrong name asked again, Enter alone leaves before the SAN is asked", {
  timeout: 60_000,
}, async () => {
  // no CHAP: no secret file needed; the SAN is never reached
  const spec = join(dir, 'no-chap.yaml');
  writeFileSync(spec, exampleSpecText().replace(/ {2}chap:\n(?: {4}.*\n)+/, ''));
  const name = 'reset-pick';
  const command = `${join(root, 'bin/virtualinux.js')} reset --spec ${spec} --pick; echo "EXITED $?"; sleep 600`;
  tmux('new-session', '-d', '-s', name, '-x', '80', '-y', '24', '-c', root, command);
  const term = new Terminal(name, { columns: 80, rows: 24 });
  try {
    const listed = await term.shows(/Blades to reset \(names, or all; Enter alone leaves\):/);
    expect(listed).toMatch(/Cluster lab: 3 blades\./);
    expect(listed).toMatch(/^ {2}node01 +52:54:00:\S+ +10\.42\.0\.11$/m);
    expect(listed).toMatch(/^ {2}node03 +52:54:00:\S+ +10\.42\.0\.13$/m);
    term.paste('node1\r');
    await term.shows(/cluster lab has no blade node1: did you mean node01\?[\s\S]*\nBlades to reset/);
    term.keys('Enter');
    const left = await term.shows(/EXITED 0/);
    expect(left).toContain('nothing was reset');
    expect(left).not.toMatch(/iscsiadm|sif|portal/);
  } finally {
    tmux('kill-session', '-t', name);
  }
  // Ctrl-C at the question leaves too, saying so, without a stack
  tmux('new-session', '-d', '-s', name, '-x', '80', '-y', '24', '-c', root, command);
  try {
    await term.shows(/Blades to reset \(names, or all; Enter alone leaves\):/);
    term.keys('C-c');
    const stopped = await term.shows(/EXITED 1/);
    expect(stopped).toContain('virtualinux: left at the question: nothing was changed');
    expect(stopped).not.toMatch(/^\s+at /m);
  } finally {
    tmux('kill-session', '-t', name);
  }
});
