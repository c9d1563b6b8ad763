/**
 * Benchmark of a blade's boot in the lab:  npm run bench:boot [-- --runs N] [--lab DIR] [--iso FILE]
 *   SAN boot    node01 powered on: iPXE sanboot, VLBOOT's GRUB, the node kernel, the initramfs that
 *               assembles its root over iSCSI, multi-user; seconds from power-on to the kernel's
 *               first line and to `node01 login:` on its serial console. N runs
 *   local disk  the same node image (the DVD's archive, unpacked and made into ext4 by
 *               mkfs.ext4 -d) on a local virtio disk of the same machine, its kernel and initramfs
 *               loaded by QEMU: no network boot, no boot loader, no boot=vl. The same two times,
 *               N runs; then the ratio SAN/local of the medians, power-on → login and kernel → login
 *   parallel    1, 2, ... every blade of the spec powered on at once: each blade's time and the time
 *               until the last one is at its login prompt
 * Blades are powered off from inside between boots, so that each boot finds its layer cleanly
 * unmounted; the local disk is kept across its runs, like a blade's layer. A fresh lab (the example
 * spec on a port of its own, installed from the DVD) in a temporary directory, unless --lab DIR
 * names a lab installed already (`virtualinux lab run --keep`): --iso is then the DVD it was
 * installed from. Needs root, QEMU and the DVD (`npm run dvd`). Prints a Markdown table; stops
 * everything it started at the end, on failure and on Ctrl-C.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { UserError } from '../core/errors.ts';
import { createRunner } from '../core/exec/runner.ts';
import { formatBytes, formatDuration } from '../core/exec/units.ts';
import { expandBlades, goldenSize } from '../core/spec/derive.ts';
import { exampleSpecText } from '../core/spec/example.ts';
import type { Spec } from '../core/spec/schema.ts';
import { extractCommand } from '../images/archive.ts';
import { sha256File } from '../images/fetch.ts';
import { Manifest } from '../images/manifest.ts';
import { kernelRelease } from '../iso/dvd.ts';
import { labBoot, localDiskBladeVm, SANBOOT_FAILED } from '../lab/blades.ts';
import { labExec } from '../lab/console.ts';
import { defaultOutDir, isoIn, labInstall } from '../lab/install.ts';
import { type LabContext, labDown, labSpec, labUp, requireUp } from '../lab/lab.ts';
import { type LabVm, labMachine, startMachine } from '../lab/machines.ts';
import { bladeOutcome, waitForBlade } from '../lab/run.ts';
import { labPaths, machineIsOurs, readState, sanIsOurs } from '../lab/state.ts';

/**
 * what a blade may take here from power-on to its login prompt: longer than `lab run`'s 10 min,
 * because the parallel runs power every blade on at once, more machines than a small host has cores
 */
const BOOT_MS = 900_000;
const POWER_OFF_MS = 180_000;
/** a local boot keeps the image's hostname (localhost): any name */
const LOCAL_LOGIN = /^\S+ login:/m;

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '1' }, lab: { type: 'string' }, iso: { type: 'string' } },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new UserError(`--runs ${values.runs}: expected 1 or more`);
const iso = values.iso ? resolve(values.iso) : isoIn(defaultOutDir);
const work = mkdtempSync(join(tmpdir(), 'vl-bench-boot-'));
const dir = values.lab ? resolve(values.lab) : join(work, 'lab');
const say = (line: string) => process.stderr.write(`${line}\n`);
const context: LabContext = { dir, runner: createRunner(), say };

/** machines this benchmark powered on, by name: what it stops in a lab it did not bring up */
const ours = new Set<string>();
/** a lab this benchmark brought up goes down at the end */
let ownLab = values.lab === undefined;
let cleaning: Promise<void> | undefined;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    if (ownLab) {
      // a machine being started holds the lab's lock for a moment
      for (let attempt = 1; attempt <= 5; attempt += 1) {
        const failed = await labDown(context).then(
          () => undefined,
          (error: Error) => error,
        );
        if (!failed) break;
        if (attempt === 5) say(`lab down in ${dir} failed: ${failed.message}`);
        else await sleep(1000);
      }
    } else {
      for (const name of ours) {
        if (readState(dir)?.machines[name])
          await labMachine(dir, name)
            .stop()
            .catch(() => undefined);
      }
    }
    rmSync(work, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping what the benchmark started`);
    void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

/** a fresh lab installed from the DVD, or the one --lab names: up, and running no machine */
async function prepareLab(specFile: string): Promise<void> {
  if (ownLab) {
    await labUp(context, specFile);
    await labInstall(context, { iso });
    return;
  }
  const state = readState(dir);
  if (state?.phase === 'up' && sanIsOurs(state)) {
    const running = Object.entries(state.machines).filter(([, machine]) => machineIsOurs(machine));
    if (running.length > 0) {
      throw new UserError(
        `the lab in ${dir} runs ${running.map(([name]) => name).join(', ')}: they would share the CPUs with the boots measured`,
        `stop them (\`virtualinux lab down --dir ${dir}\`; the benchmark brings the lab up again)`,
      );
    }
    return;
  }
  ownLab = true;
  await labUp(context, specFile);
}

/** The node image the DVD carries as a local disk: its files in ext4 (mkfs.ext4 -d), its kernel and initramfs beside. */
async function localDisk(spec: Spec): Promise<{ disk: string; kernel: string; initrd: string }> {
  const image = spec.images.node;
  const into = join(work, 'local');
  const archive = join(into, `${image}.tar.zst`);
  const manifestFile = join(into, `${image}.manifest.json`);
  mkdirSync(into);
  const started = performance.now();
  say(`local disk: taking image ${image} out of ${iso}`);
  await context.runner.run({
    tool: 'xorriso',
    args: [
      ...['-osirrox', 'on', '-indev', iso],
      ...['-extract', `/images/${image}.tar.zst`, archive],
      ...['-extract', `/images/${image}.manifest.json`, manifestFile],
    ],
  });
  const manifest = Manifest.parse(JSON.parse(readFileSync(manifestFile, 'utf8')));
  if ((await sha256File(archive)) !== manifest.archive.sha256) {
    throw new UserError(
      `/images/${image}.tar.zst on ${iso} does not have the sha256 its manifest records`,
      'build the DVD again: npm run dvd',
    );
  }
  const root = join(into, 'rootfs');
  mkdirSync(root);
  await context.runner.run(extractCommand(archive, root));
  rmSync(archive);
  // the kernel the DVD gives the blades (iso/dvd.ts, stage blade-boot)
  const release = kernelRelease(manifest);
  const kernel = join(into, 'vmlinuz');
  const initrd = join(into, 'initrd.img');
  copyFileSync(join(root, 'boot', `vmlinuz-${release}`), kernel);
  copyFileSync(join(root, 'boot', `initrd.img-${release}`), initrd);
  // the room a SAN-booted blade has: its image's volume and its writable layer
  const bytes = goldenSize(spec, image) + spec.storage.bladeLayer;
  const disk = join(into, `${image}.img`);
  writeFileSync(disk, '', { mode: 0o600 });
  truncateSync(disk, bytes);
  await context.runner.run({ tool: 'mkfs.ext4', args: ['-q', '-F', '-L', image, '-d', root, disk] });
  rmSync(root, { recursive: true, force: true });
  say(
    `local disk: ${disk}, ${formatBytes(bytes)} (image ${formatBytes(manifest.unpackedBytes)}, kernel ${release}), made in ${formatDuration(performance.now() - started)}`,
  );
  return { disk, kernel, initrd };
}

interface Boot {
  machine: string;
  /** when it was started (ms since the epoch), as lab.json records it */
  poweredOn: number;
  /** seconds from power-on */
  kernel: number;
  login: number;
}

/** times a machine's boot from its power-on: the kernel's first line, then `atLogin` */
async function timeBoot(vm: LabVm, atLogin: () => Promise<unknown>): Promise<Boot> {
  const poweredOn = Date.parse(readState(dir)?.machines[vm.name]?.startedAt ?? '');
  if (Number.isNaN(poweredOn)) throw new Error(`${vm.name}: no start time in ${labPaths(dir).state}`);
  const seconds = () => Math.round((Date.now() - poweredOn) / 100) / 10;
  const first = await vm.waitFor(new RegExp(`Linux version|${SANBOOT_FAILED}`), BOOT_MS);
  if (first[0] === SANBOOT_FAILED) {
    throw new UserError(
      `${vm.name}: ${bladeOutcome(vm.name, vm.serialLog()).detail}`,
      `its console: ${vm.log}`,
    );
  }
  const kernel = seconds();
  await atLogin();
  return { machine: vm.name, poweredOn, kernel, login: seconds() };
}

/** a SAN-booted blade at its login prompt as itself, on the root its initramfs assembled */
const bladeAtLogin = (vm: LabVm) => async () => {
  const outcome = await waitForBlade(vm, BOOT_MS);
  if (outcome.status !== 'ok') throw new UserError(`${vm.name}: ${outcome.detail}`, `its console: ${vm.log}`);
};

async function bootBlades(names: string[]): Promise<LabVm[]> {
  for (const name of names) ours.add(name);
  return labBoot(context, names);
}

/**
 * From inside, as the e2e tests reboot a blade: one killed while it holds its layer makes its next
 * boot wait for the layer's MMP check. sshd may still be making its host keys at the login prompt.
 */
async function powerOff(vm: LabVm): Promise<void> {
  const poweroff = ['systemd-run', '--on-active=1', 'systemctl', 'poweroff'];
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    const said = await labExec(dir, vm.name, poweroff, 60_000).then(
      (result) => (result.exitCode === 0 ? undefined : result.output.trim()),
      (error: Error) => error.message.split('\n')[0] ?? 'failed',
    );
    if (said === undefined) break;
    if (attempt === 5) say(`${vm.name}: ${poweroff.join(' ')} failed: ${said}`);
    else await sleep(10_000);
  }
  const deadline = Date.now() + POWER_OFF_MS;
  while (vm.running() && Date.now() < deadline) await sleep(1000);
  if (vm.running())
    say(`${vm.name}: still running ${POWER_OFF_MS / 1000} s after poweroff: stopped by its pid`);
  await vm.stop();
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const s = (seconds: number) => seconds.toFixed(1);

const rows: Array<[string, string]> = [];
const ratios: string[] = [];
try {
  if (process.getuid?.() !== 0) {
    throw new UserError(
      'bench:boot needs root',
      "the node image is unpacked with its files' owners (tar --same-owner)",
    );
  }
  if (!existsSync(iso)) {
    throw new UserError(
      `no DVD at ${iso}`,
      values.iso ? 'give the path of a built ISO' : 'build it first: npm run dvd',
    );
  }
  let specFile = labPaths(dir).spec;
  if (ownLab) {
    specFile = join(work, 'cluster.yaml');
    // a port of its own: the benchmark's SAN can run beside the e2e tests' lab (3260)
    writeFileSync(specFile, exampleSpecText().replace('10.0.2.2:3260', '10.0.2.2:3266'));
  }
  const { spec } = labSpec(specFile);
  const blades = expandBlades(spec);
  const first = blades[0];
  if (!first) throw new UserError(`${specFile} has no blades`);
  await prepareLab(specFile);
  const local = await localDisk(spec);

  const san: Boot[] = [];
  for (let run = 1; run <= runs; run += 1) {
    say(`SAN boot ${run}/${runs}: ${first.name}`);
    const [vm] = await bootBlades([first.name]);
    if (!vm) throw new Error(`${first.name} did not start`);
    san.push(await timeBoot(vm, bladeAtLogin(vm)));
    await powerOff(vm);
  }

  const localName = `${first.name}-local`;
  const localBoots: Boot[] = [];
  for (let run = 1; run <= runs; run += 1) {
    say(
      `local disk boot ${run}/${runs}: ${localName}, console log ${labPaths(dir).logs}/${localName}.serial.log`,
    );
    ours.add(localName);
    const options = localDiskBladeVm(requireUp(dir), first, local.disk, local);
    const vm = await startMachine(context, localName, 'blade', options);
    localBoots.push(await timeBoot(vm, () => vm.waitFor(LOCAL_LOGIN, BOOT_MS)));
    // a power cut: the disk's journal is replayed at the next boot, in well under a second
    await vm.stop();
  }

  for (const [what, boots] of [
    [`SAN boot, ${first.name}`, san],
    [`local disk, ${first.name}'s image`, localBoots],
  ] as const) {
    boots.forEach((boot, index) => {
      rows.push(
        [`${what}, run ${index + 1}: power-on → login`, s(boot.login)],
        [`${what}, run ${index + 1}: power-on → kernel`, s(boot.kernel)],
      );
    });
  }
  const toLogin = (boots: Boot[]) => median(boots.map((b) => b.login));
  const kernelToLogin = (boots: Boot[]) => median(boots.map((b) => b.login - b.kernel));
  ratios.push(
    `ratio SAN / local disk (medians of ${runs} run${runs === 1 ? '' : 's'}): power-on → login ${(toLogin(san) / toLogin(localBoots)).toFixed(2)}, kernel → login ${(kernelToLogin(san) / kernelToLogin(localBoots)).toFixed(2)}`,
  );

  for (let count = 1; count <= blades.length; count += 1) {
    const names = blades.slice(0, count).map((blade) => blade.name);
    say(`parallel: ${names.join(', ')} powered on at once`);
    const vms = await bootBlades(names);
    const boots = await Promise.all(vms.map((vm) => timeBoot(vm, bladeAtLogin(vm))));
    const from = Math.min(...boots.map((b) => b.poweredOn));
    const until = Math.max(...boots.map((b) => b.poweredOn + b.login * 1000));
    const together = `${count} blade${count === 1 ? '' : 's'} at once`;
    rows.push([`${together}: power-on → all at login`, s((until - from) / 1000)]);
    for (const boot of boots) rows.push([`${together}: ${boot.machine} power-on → login`, s(boot.login)]);
    await Promise.all(vms.map(powerOff));
  }
} catch (error) {
  // what went wrong in words, as the product says it; a bug keeps its stack
  if (!(error instanceof UserError)) throw error;
  process.stderr.write(`bench:boot: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ''}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
if (process.exitCode === 1) process.exit();
console.log('\n| stage | seconds |\n|---|---|');
for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
for (const line of ratios) console.log(`\n${line}`);
