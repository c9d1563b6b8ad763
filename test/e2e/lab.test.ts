/**
 * The lab as an administrator drives it, with the DVD that `npm run dvd` builds: `lab run` boots
 * the DVD's Unattended entry and the installer takes the spec handed over by fw_cfg; then, step by
 * step, the installer's console (lab exec), a blade's SAN boot through iPXE with CHAP, status and
 * down. The install itself and the blades' OS boot come with the install-engine and diskless-boot
 * issues, which extend this file.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isRunning } from '../../core/pid-lock.ts';
import { SANBOOT_FAILED } from '../../lab/blades.ts';
import { labMachine } from '../../lab/machines.ts';
import { readState } from '../../lab/state.ts';

const bin = new URL('../../bin/virtualinux.js', import.meta.url).pathname;
const STACK = /^\s+at .+:\d+:\d+\)?$/m;
const work = mkdtempSync(join(tmpdir(), 'vl-lab-e2e-'));
const env = { CI: 'true' };

const lab = (dir: string, args: string[]) =>
  execa(bin, ['lab', ...args.slice(0, 1), '--dir', dir, ...args.slice(1)], {
    env,
    reject: false,
    stdin: 'ignore',
  });

let iso: string;
beforeAll(async () => {
  // the DVD in out/, where lab install looks for it (cached: seconds when the DVD tests built it)
  const build = await execa(bin, ['dvd', 'build'], { env, reject: false, stdin: 'ignore' });
  expect(build.exitCode, build.stderr.split('\n').slice(-30).join('\n')).toBe(0);
  iso = /^(\S+\.iso) /.exec(build.stdout)?.[1] as string;
}, 60 * 60_000);

afterAll(async () => {
  for (const dir of ['run', 'steps']) await lab(join(work, dir), ['down']);
  rmSync(work, { recursive: true, force: true });
});

test('lab run: the SAN comes up, the DVD boots its Unattended entry, the installer takes the spec', async () => {
  const dir = join(work, 'run');
  const run = await lab(dir, ['run']);
  expect(run.stderr).not.toMatch(STACK);
  expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
  expect(result.ok).toBe(true);
  expect(result.steps.map((s: { step: string; status: string }) => [s.step, s.status])).toEqual([
    ['SAN up', 'ok'],
    ['DVD install', 'ok'],
    ['blades boot', 'not-run'],
  ]);
  expect(result.steps[1].detail).toContain(
    'installer took the spec (cluster lab: 3 blades, SAN iqn.2026-11.org.virtualinux:lab.san at 10.0.2.2:3260',
  );
  // the summary table, then the JSON line; and lab run took the lab down again
  expect(run.stdout).toMatch(/^step\s+result\s+time\s+detail$/m);
  expect(readState(dir)).toBeUndefined();
  const log = readFileSync(join(dir, 'logs', 'installer.serial.log'), 'utf8');
  expect(log).toContain('vl.mode=unattended');
  expect(log).toContain('VIRTUALINUX-INSTALL-RESULT: no-engine');
}, 900_000);

describe('step by step', () => {
  const dir = join(work, 'steps');

  test('lab install --keep, then lab exec in the installer: the spec arrived byte for byte', async () => {
    expect((await lab(dir, ['up'])).exitCode).toBe(0);
    const install = await lab(dir, ['install', '--keep', '--iso', iso]);
    expect(install.exitCode, install.stderr).toBe(0);
    expect(install.stdout).toContain('installer: no-engine: cluster lab: 3 blades');
    // the installer's menu is on the console after its verdict: s gives the root shell
    const installer = labMachine(dir, 'installer');
    await installer.send('s');
    await installer.waitFor(/Root shell/, 30_000);
    await installer.waitFor(/# $/m, 30_000);
    const spec = readFileSync(join(dir, 'cluster.yaml'));
    const sum = await lab(dir, [
      'exec',
      'installer',
      '--',
      'sha256sum',
      '/sys/firmware/qemu_fw_cfg/by_name/opt/org.virtualinux/cluster.yaml/raw',
    ]);
    expect(sum.exitCode, sum.stderr).toBe(0);
    expect(sum.stdout).toContain(createHash('sha256').update(spec).digest('hex'));
    const failing = await lab(dir, ['exec', 'installer', '--', 'test', '-e', '/nonexistent']);
    expect(failing.exitCode).toBe(1);
  }, 900_000);

  test('lab boot: a blade logs into the SAN by iPXE with its CHAP secret; with nothing installed it says so', async () => {
    const boot = await lab(dir, ['boot', 'node01']);
    expect(boot.exitCode, boot.stderr).toBe(0);
    const blade = labMachine(dir, 'node01');
    // the NIC's iPXE fetched the blade's script from the lab's TFTP, then logged in: iPXE registers
    // the SAN disk only after the iSCSI login (CHAP, ACL) succeeded; a refused login says
    // "Could not open SAN device" instead
    await blade.waitFor(/node01 boots from the SAN/, 180_000);
    await blade.waitFor(/Registered SAN device 0x80/, 120_000);
    // an empty LUN has no boot sector: iPXE says so, and our script names the blade
    await blade.waitFor(/Boot from SAN device 0x80 failed/, 120_000);
    await blade.waitFor(new RegExp(`${SANBOOT_FAILED} \\S+: node01`), 60_000);
    expect(blade.serialLog()).not.toContain('Could not open SAN device');
    const status = JSON.parse((await lab(dir, ['status', '--json'])).stdout);
    expect(status.machines.map((m: { name: string; running: boolean }) => [m.name, m.running])).toEqual([
      ['installer', true],
      ['node01', true],
    ]);
  }, 600_000);

  test('lab down stops every machine and the SAN, by pid', async () => {
    const state = readState(dir);
    const pids = [state?.san.pid, ...Object.values(state?.machines ?? {}).map((m) => m.pid)] as number[];
    expect(pids).toHaveLength(3);
    const down = await lab(dir, ['down']);
    expect(down.exitCode).toBe(0);
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
    expect(readState(dir)).toBeUndefined();
  }, 120_000);
});
