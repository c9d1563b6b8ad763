/**
 * `lab install`: boots the DVD in a lab machine with the Unattended entry, hands it the spec (and
 * the CHAP secret) through QEMU's fw_cfg, and waits for the installer's verdict on the serial
 * console: one line `VIRTUALINUX-INSTALL-RESULT: STATUS MESSAGE` (installer/unattended.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.ts';
import { version } from '../core/version.ts';
import {
  type InstallStatus,
  parseInstallResult,
  RESULT_MARKER,
  SECRET_FW_CFG,
  SPEC_FW_CFG,
  TARGET_SECRET_FW_CFG,
} from '../installer/unattended-protocol.ts';
import { type LabContext, requireUp } from './lab.ts';
import { type LabVm, startMachine } from './machines.ts';
import type { Firmware, VmOptions } from './qemu.ts';
import { type LabState, labPaths } from './state.ts';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
/** where `npm run dvd` (virtualinux dvd build) puts the DVD */
export const defaultOutDir = join(packageRoot, 'out');
export const isoIn = (outDir: string) => join(outDir, `virtualinux-${version()}-amd64.iso`);

/** the installer's NICs: the storage fabric first (eth0, the spec's sif), then the cluster network */
export const INSTALLER_MACS = { sif: '52:54:00:00:ff:01', cluster: '52:54:00:00:ff:02' } as const;

export interface InstallOptions {
  /** the DVD; by default the one `dvd build` wrote into outDir */
  iso?: string;
  /** where `dvd build --out DIR` wrote the DVD: out/ in the checkout by default */
  outDir?: string;
  firmware?: Firmware;
  /** how long the whole install may take, boot included */
  timeoutMs?: number;
  /** leave the installer running afterwards (to look around on its console) */
  keep?: boolean;
}

export interface InstallOutcome {
  status: InstallStatus;
  message: string;
  /** seconds from power-on: the kernel started, the installer took over, it finished */
  timings: { kernel: number; installer: number; result: number };
  log: string;
}

const MENU_MS = 90_000;
const BOOT_MS = 300_000;
export const DEFAULT_INSTALL_MS = 1_800_000;

/** the installer machine's options: the DVD, two NICs, the spec and the secrets by fw_cfg */
export function installerVm(state: LabState, dir: string, iso: string, firmware: Firmware): VmOptions {
  const paths = labPaths(dir);
  const fwCfg = [{ name: SPEC_FW_CFG, file: paths.spec }];
  if (existsSync(paths.chapSecret)) fwCfg.push({ name: SECRET_FW_CFG, file: paths.chapSecret });
  if (existsSync(paths.chapTargetSecret))
    fwCfg.push({ name: TARGET_SECRET_FW_CFG, file: paths.chapTargetSecret });
  return {
    cdrom: iso,
    firmware,
    memoryMiB: 2048,
    // the install unpacks images (zstd, tar, ext4) while the network and iSCSI carry them: a
    // second vCPU (QEMU's multi-threaded TCG) puts a 2-core host's second core to work
    cpus: 2,
    nics: [
      { mac: INSTALLER_MACS.sif, net: { kind: 'user' } },
      { mac: INSTALLER_MACS.cluster, net: { kind: 'mcast', ...state.network } },
    ],
    fwCfg,
  };
}

/** the DVD `lab install` boots: the one given, or the one `dvd build` wrote; refused when it is not there */
function labIso(options: InstallOptions): string {
  const outDir = options.outDir ?? defaultOutDir;
  const iso = options.iso ?? isoIn(outDir);
  if (!existsSync(iso)) {
    throw new UserError(
      `no DVD at ${iso}`,
      options.iso
        ? 'give the path of a built ISO with --iso FILE'
        : outDir === defaultOutDir
          ? 'build it first: `npm run dvd` (that is `virtualinux dvd build`)'
          : `build it first: \`virtualinux dvd build --out ${outDir}\``,
    );
  }
  return iso;
}

/**
 * Powers the installer machine on with the DVD and picks a boot menu entry by its serial-console
 * hotkey (the serial variants put the console on ttyS0, where the lab reads it); resolves once
 * the kernel that entry booted prints its command line, with the seconds it took.
 */
async function bootEntry(
  context: LabContext,
  options: InstallOptions,
  entry: { title: string; hotkey: string; mode: string },
): Promise<{ vm: LabVm; seconds: () => number; kernel: number }> {
  const state = requireUp(context.dir);
  const iso = labIso(options);
  const firmware = options.firmware ?? 'bios';
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;
  context.say(
    `installer: booting ${iso} (${firmware}), console log ${labPaths(context.dir).logs}/installer.serial.log`,
  );
  const vm = await startMachine(
    context,
    'installer',
    'installer',
    installerVm(state, context.dir, iso, firmware),
  );
  try {
    await vm.waitFor(new RegExp(`${entry.title}, serial console`), MENU_MS);
    await vm.send(entry.hotkey);
    await vm.waitFor(/Linux version/, BOOT_MS);
    const kernel = seconds();
    // the kernel prints its command line after its version: the entry we asked for booted
    await vm.waitFor(new RegExp(`Command line: .*vl\\.mode=${entry.mode}`), MENU_MS);
    context.say(`installer: kernel started after ${kernel} s`);
    return { vm, seconds, kernel };
  } catch (error) {
    await vm.stop();
    throw error;
  }
}

/**
 * `lab install --guided`: the DVD's Install entry (its serial variant), the spec handed over as
 * for the unattended install; resolves when the guided installer's Welcome is on the console,
 * and leaves the machine running for `lab console installer`.
 */
export async function labGuided(context: LabContext, options: InstallOptions = {}): Promise<LabVm> {
  const { vm, seconds } = await bootEntry(context, options, {
    title: 'Install',
    hotkey: '1',
    mode: 'install',
  });
  try {
    await vm.waitFor(/\[ Begin \]/, BOOT_MS);
    context.say(
      `installer: the guided installer's Welcome after ${seconds()} s: virtualinux lab console installer`,
    );
    return vm;
  } catch (error) {
    await vm.stop();
    throw error;
  }
}

export async function labInstall(context: LabContext, options: InstallOptions = {}): Promise<InstallOutcome> {
  // the serial variant of Unattended install: its hotkey boots it at once, with the console on ttyS0
  const { vm, seconds, kernel } = await bootEntry(context, options, {
    title: 'Unattended install',
    hotkey: '2',
    mode: 'unattended',
  });
  try {
    // the unattended run prints its own header, then its verdict, and only then the menu screen
    await vm.waitFor(/VirtuaLinux \S+: unattended install/, BOOT_MS);
    const installer = seconds();
    context.say(`installer: the installer took over after ${installer} s`);
    const line = await vm.waitFor(
      new RegExp(`${RESULT_MARKER}[^\\r\\n]*`),
      options.timeoutMs ?? DEFAULT_INSTALL_MS,
    );
    const result = parseInstallResult(line[0]);
    const outcome: InstallOutcome = {
      status: result.status,
      message: result.message,
      timings: { kernel, installer, result: seconds() },
      log: vm.log,
    };
    if (result.status === 'failed') {
      throw new UserError(
        `the installer failed: ${result.message}\nits console's last lines:\n${lastErrorLines(vm)}`,
        `the whole console: ${vm.log}`,
      );
    }
    return outcome;
  } finally {
    if (!options.keep) await vm.stop();
  }
}

function lastErrorLines(vm: LabVm): string {
  return vm
    .serialLog()
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(-20)
    .map((line) => `  | ${line}`)
    .join('\n');
}
