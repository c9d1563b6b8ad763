/**
 * The lab SAN with the real tgtd, checked from outside with a real initiator (libiscsi's iscsi-ls
 * and iscsi-inq): CHAP and the ACL hold, `lab down` leaves nothing behind, errors say what to do.
 * The CHAP secret goes to libiscsi by its environment (LIBISCSI_CHAP_PASSWORD), not argv.
 */

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isRunning } from '../../../core/pid-lock.ts';
import { EXAMPLE_SPEC_URL } from '../../../core/spec/example.ts';

const bin = new URL('../../../bin/virtualinux.js', import.meta.url).pathname;
const STACK = /^\s+at .+:\d+:\d+\)?$/m;
const TARGET = 'iqn.2026-11.org.virtualinux:lab.san';
const NODE01 = 'iqn.2026-11.org.virtualinux:lab.node01';
// not the example's 3260: a lab someone runs on this machine keeps its port
const PORT = 3263;

const work = mkdtempSync(join(tmpdir(), 'vl-lab-san-'));
const labDir = join(work, 'lab');
const specFile = join(work, 'cluster.yaml');
writeFileSync(specFile, readFileSync(EXAMPLE_SPEC_URL, 'utf8').replace('10.0.2.2:3260', `10.0.2.2:${PORT}`));

const lab = (args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [bin, 'lab', ...args.slice(0, 1), '--dir', labDir, ...args.slice(1)], {
    reject: false,
    stdin: 'ignore',
    env,
  });

const initiator = (tool: 'iscsi-ls' | 'iscsi-inq', name: string, secret: string, url: string) =>
  execa(tool, ['-i', name, ...(tool === 'iscsi-ls' ? ['-s'] : []), url], {
    reject: false,
    env: { LIBISCSI_CHAP_USERNAME: 'lab', LIBISCSI_CHAP_PASSWORD: secret },
  });

/**
 * loop devices and network namespaces on the machine, and the tgtd processes serving our port
 * (a killed process lingers as a zombie until reaped: its empty command line does not match)
 */
async function machineResidue() {
  const loops = (await execa('losetup', ['-a'], { reject: false })).stdout;
  const netns = (await execa('ip', ['netns', 'list'], { reject: false })).stdout;
  const tgtds = (await execa('pgrep', ['-f', `^tgtd .*portal=127.0.0.1:${PORT}`], { reject: false })).stdout;
  return { loops, netns, tgtds };
}

let before: Awaited<ReturnType<typeof machineResidue>>;
beforeAll(async () => {
  before = await machineResidue();
});
afterAll(async () => {
  await lab(['down']);
  rmSync(work, { recursive: true, force: true });
});

describe('lab up serves the LUN of the spec', () => {
  let secret = '';
  let upOutput = '';

  test('lab up: the target, the sparse LUN, the secret file (0600)', async () => {
    const up = await lab(['up', '--spec', specFile]);
    upOutput = up.stdout + up.stderr;
    expect(up.stderr).not.toMatch(STACK);
    expect(up.exitCode).toBe(0);
    expect(up.stderr).toContain(
      `lab SAN up: ${TARGET} LUN 1 on 127.0.0.1:${PORT} (blades: 10.0.2.2:${PORT})`,
    );
    const secretFile = join(labDir, 'chap.secret');
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    secret = readFileSync(secretFile, 'utf8').trim();
    expect(secret).toMatch(/^[A-Za-z0-9]{16}$/);
    const lun = statSync(join(labDir, 'san', 'lun1.img'));
    expect(lun.size).toBe(40 * 2 ** 30);
    expect(lun.blocks * 512).toBeLessThan(2 ** 20);
  });

  test('the right CHAP secret logs in and lists LUN 1 with its size', async () => {
    const listed = await initiator('iscsi-ls', NODE01, secret, `iscsi://127.0.0.1:${PORT}`);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout).toContain(`Target:${TARGET}`);
    expect(listed.stdout).toMatch(/Lun:1\s+Type:DIRECT_ACCESS \(Size:39G\)/);
    const inquiry = await initiator('iscsi-inq', NODE01, secret, `iscsi://127.0.0.1:${PORT}/${TARGET}/1`);
    expect(inquiry.exitCode).toBe(0);
    expect(inquiry.stdout).toContain('Peripheral Device Type:DIRECT_ACCESS');
  });

  test('a wrong secret is refused', async () => {
    const wrong = await initiator('iscsi-ls', NODE01, `${secret}x`, `iscsi://127.0.0.1:${PORT}`);
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stdout + wrong.stderr).toContain('Authentication failure');
    expect(wrong.stdout).not.toContain('Lun:1');
  });

  test('an initiator name outside the ACL neither sees the target nor logs in, even with the secret', async () => {
    const stranger = 'iqn.2026-11.org.virtualinux:lab.stranger';
    const listed = await initiator('iscsi-ls', stranger, secret, `iscsi://127.0.0.1:${PORT}`);
    expect(listed.stdout).not.toContain(TARGET);
    const login = await initiator('iscsi-inq', stranger, secret, `iscsi://127.0.0.1:${PORT}/${TARGET}/1`);
    expect(login.exitCode).not.toBe(0);
    expect(login.stdout + login.stderr).toContain('Target not found');
  });

  test('the secret is in no output, no state file, no log', () => {
    expect(upOutput).not.toContain(secret);
    expect(readFileSync(join(labDir, 'lab.json'), 'utf8')).not.toContain(secret);
    expect(readFileSync(join(labDir, 'logs', 'tgtd.log'), 'utf8')).not.toContain(secret);
  });

  test('status names the SAN, its pid and the LUN', async () => {
    const status = await lab(['status', '--json']);
    expect(status.exitCode).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.up).toBe(true);
    expect(report.san).toMatchObject({ running: true, portal: `127.0.0.1:${PORT}`, target: TARGET });
    expect(isRunning(report.san.pid)).toBe(true);
  });

  test('install without a DVD, boot of an unknown blade, exec on no machine: each says what to do', async () => {
    const missing = join(work, 'none.iso');
    const install = await lab(['install', '--iso', missing]);
    expect(install.exitCode).toBe(1);
    expect(install.stderr).toContain(`no DVD at ${missing}`);
    expect(install.stderr).not.toMatch(STACK);
    const empty = join(work, 'empty-out');
    const notBuilt = await lab(['install', '--out', empty]);
    expect(notBuilt.exitCode).toBe(1);
    expect(notBuilt.stderr).toContain(`no DVD at ${empty}/virtualinux-`);
    expect(notBuilt.stderr).toContain(`build it first: \`virtualinux dvd build --out ${empty}\``);
    const boot = await lab(['boot', 'node3']);
    expect(boot.exitCode).toBe(1);
    expect(boot.stderr).toContain('no blade node3 in the spec (did you mean node03?)');
    const exec = await lab(['exec', 'node01', '--', 'true']);
    expect(exec.exitCode).toBe(1);
    expect(exec.stderr).toContain(`no machine node01 in the lab ${labDir}`);
    expect((await lab(['exec', 'node01'])).exitCode).toBe(2);
  });

  test('a second lab up while one runs is refused and says how to stop it', async () => {
    const again = await lab(['up', '--spec', specFile]);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain(`a lab is up already in ${labDir}`);
    expect(again.stderr).toContain('virtualinux lab down');
    expect(again.stderr).not.toMatch(STACK);
  });

  test('lab down stops tgtd and leaves no process, socket, loop device or namespace; twice is fine', async () => {
    const pid = JSON.parse((await lab(['status', '--json'])).stdout).san.pid as number;
    const down = await lab(['down']);
    expect(down.exitCode).toBe(0);
    expect(down.stderr).toContain(`stopped tgtd (pid ${pid})`);
    expect(isRunning(pid)).toBe(false);
    expect(existsSync(`/var/run/tgtd/socket.${PORT}`)).toBe(false);
    expect(await machineResidue()).toEqual(before);
    const again = await lab(['down']);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('nothing to stop');
    // the LUN (what was installed on it) is kept for the next lab up
    expect(existsSync(join(labDir, 'san', 'lun1.img'))).toBe(true);
  });
});

describe('lab up after a crash, and its errors', () => {
  test('a lab whose tgtd was killed is cleaned up and started again, with the same secret', async () => {
    expect((await lab(['up', '--spec', specFile])).exitCode).toBe(0);
    const secret = readFileSync(join(labDir, 'chap.secret'), 'utf8').trim();
    const pid = JSON.parse((await lab(['status', '--json'])).stdout).san.pid as number;
    process.kill(pid, 'SIGKILL');
    await execa('sh', [
      '-c',
      `while kill -0 ${pid} 2>/dev/null && ! grep -q '^State:.Z' /proc/${pid}/status; do sleep 0.05; done`,
    ]);
    const up = await lab(['up', '--spec', specFile]);
    expect(up.exitCode).toBe(0);
    expect(up.stderr).toContain('was not stopped cleanly');
    expect(readFileSync(join(labDir, 'chap.secret'), 'utf8').trim()).toBe(secret);
    const listed = await initiator('iscsi-ls', NODE01, secret, `iscsi://127.0.0.1:${PORT}`);
    expect(listed.stdout).toMatch(/Lun:1\s+Type:DIRECT_ACCESS/);
    expect((await lab(['down'])).exitCode).toBe(0);
  });

  test('the SAN port taken by another program: refused, naming the program and another port', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(PORT, '127.0.0.1', resolve));
    try {
      const up = await lab(['up', '--spec', specFile]);
      expect(up.exitCode).toBe(1);
      expect(up.stderr).toContain(`port ${PORT} on 127.0.0.1 is taken by node (pid ${process.pid})`);
      expect(up.stderr).toContain(`san.portals: [10.0.2.2:${PORT + 1}]`);
      expect(up.stderr).not.toMatch(STACK);
    } finally {
      server.close();
    }
    expect((await lab(['status', '--json'])).stdout).toContain('"up":false');
  });

  test('QEMU missing: the error names the package to install', async () => {
    // a PATH with tgtd and tgtadm (and nothing else): the lab cannot start machines
    const bin = join(work, 'bin-without-qemu');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['tgtd', 'tgtadm']) {
      const found = (await execa('sh', ['-c', `command -v ${tool}`])).stdout.trim();
      symlinkSync(found, join(bin, tool));
    }
    const up = await lab(['up', '--spec', specFile], { PATH: bin });
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toContain('qemu-system-x86_64 not found: apt-get install qemu-system-x86');
    expect(up.stderr).not.toMatch(STACK);
  });

  test('tgtd missing: the error names the package to install', async () => {
    const up = await lab(['up', '--spec', specFile], { PATH: '/nonexistent' });
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toContain('tgtd not found: apt-get install tgt');
    expect(up.stderr).not.toMatch(STACK);
  });
});
