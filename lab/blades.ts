/**
 * `lab boot NODE...`: blades started the way their firmware would SAN-boot them. Each blade's
 * storage NIC is QEMU user networking whose TFTP hands iPXE (the NIC's boot ROM) a script made
 * for that blade from the spec: its initiator name, the CHAP user and secret (the blade's
 * "firmware settings", like iBFT on real hardware; the file is 0600 in the lab directory, never on a
 * command line), and `sanboot` of the cluster LUN. Its second NIC is on the cluster network.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { UserError } from '../core/errors.ts';
import { type Blade, expandBlades, initiatorName } from '../core/spec/derive.ts';
import { formatMac } from '../core/spec/mac.ts';
import type { Spec } from '../core/spec/schema.ts';
import { closest } from '../core/yaml/did-you-mean.ts';
import { HOST_FROM_GUEST, type LabContext, labSpec, requireUp } from './lab.ts';
import { type LabVm, startMachine } from './machines.ts';
import type { VmOptions } from './qemu.ts';
import { type LabState, labPaths } from './state.ts';

export const BOOT_SCRIPT = 'boot.ipxe';
/** what the blade's console says when the SAN boot itself failed (iPXE came back from sanboot) */
export const SANBOOT_FAILED = 'VIRTUALINUX-SANBOOT-FAILED';

export interface BladeCredentials {
  user: string;
  secret: string;
  /** mutual CHAP: the target's user and secret */
  target?: { user: string; secret: string };
}

/** iPXE takes `${...}` and blanks in a `set` value specially: a secret made of other characters is refused */
const ipxeSafe = /^[\w.:@/+-]+$/;

/** the blade's iPXE script: identity, CHAP, sanboot of the LUN, and a clear line if that fails */
export function ipxeScript(spec: Spec, blade: Blade, credentials?: BladeCredentials): string {
  const portal = spec.san.portals[0];
  const uri = `iscsi:${portal?.address}::${portal?.port ?? 3260}:${spec.san.lun}:${spec.san.target}`;
  for (const value of [credentials?.secret, credentials?.target?.secret]) {
    if (value !== undefined && !ipxeSafe.test(value)) {
      throw new UserError(
        'the CHAP secret holds characters iPXE cannot take in a script',
        'use letters, digits and . : @ / + - _',
      );
    }
  }
  return [
    '#!ipxe',
    `echo VirtuaLinux lab: ${blade.name} boots from the SAN ${uri}`,
    `set initiator-iqn ${initiatorName(spec, blade)}`,
    ...(credentials ? [`set username ${credentials.user}`, `set password ${credentials.secret}`] : []),
    ...(credentials?.target
      ? [
          `set reverse-username ${credentials.target.user}`,
          `set reverse-password ${credentials.target.secret}`,
        ]
      : []),
    `sanboot ${uri} || goto failed`,
    ':failed',
    `echo ${SANBOOT_FAILED} \${errno}: ${blade.name} could not boot from ${uri}`,
    // nothing else to boot: halt here, where the console shows why
    'shell',
    '',
  ].join('\n');
}

/** the blade's storage-fabric MAC: the spec's sifMac, else one derived from its position */
export const bladeSifMac = (blade: Blade) => blade.sifMac ?? formatMac(0x525400f00000 + blade.index + 1);

export function bladeVm(state: LabState, blade: Blade, tftpDir: string, sshPort?: number): VmOptions {
  return {
    memoryMiB: 1024,
    cpus: 1,
    // a blade that reboots comes back through its firmware's SAN boot
    reboots: true,
    nics: [
      {
        mac: bladeSifMac(blade),
        net: {
          kind: 'user',
          tftp: tftpDir,
          bootfile: BOOT_SCRIPT,
          ...(sshPort !== undefined && { forward: [{ host: sshPort, guest: 22 }] }),
        },
        bootIndex: 1,
      },
      { mac: blade.mac, net: { kind: 'mcast', ...state.network } },
    ],
    // no VGA: SeaBIOS then copies what it and the NIC's iPXE write on screen to the serial port.
    // A watchdog, as blades have (sanlock's wdmd refuses to run without one)
    extraArgs: ['-machine', 'pc,graphics=off', '-device', 'i6300esb'],
  };
}

/** the root of a blade booted from a local disk: the node image's filesystem on the first virtio disk */
export const LOCAL_ROOT = '/dev/vda';

/**
 * The same blade booting the node image from a local disk instead of the SAN (bench/boot.ts
 * compares the two): its memory, CPUs, NICs and devices, with QEMU loading the image's kernel and
 * initramfs itself. Without boot=vl the initramfs mounts root= as any Debian system does.
 */
export function localDiskBladeVm(
  state: LabState,
  blade: Blade,
  disk: string,
  boot: { kernel: string; initrd: string },
): VmOptions {
  const san = bladeVm(state, blade, '');
  return {
    ...san,
    // a machine that cannot boot stops, rather than boot again and again
    reboots: false,
    nics: [
      { mac: bladeSifMac(blade), net: { kind: 'user' } },
      { mac: blade.mac, net: { kind: 'mcast', ...state.network } },
    ],
    disks: [{ file: disk, format: 'raw' }],
    kernel: {
      kernel: boot.kernel,
      initrd: boot.initrd,
      // VLBOOT's consoles and interface names (installer/engine/vlboot.ts); noresume: a swap the
      // build host had is not waited for
      append: `root=${LOCAL_ROOT} rw noresume net.ifnames=0 console=tty0 console=ttyS0,115200n8`,
    },
  };
}

/** the blades the names designate (every blade for none); an unknown name is an error with a did-you-mean */
export function selectBlades(spec: Spec, names: string[]): Blade[] {
  const blades = expandBlades(spec);
  if (names.length === 0) return blades;
  return names.map((name) => {
    const blade = blades.find((b) => b.name === name);
    if (!blade) {
      const guess = closest(
        name,
        blades.map((b) => b.name),
      );
      throw new UserError(
        `no blade ${name} in the spec${guess ? ` (did you mean ${guess}?)` : ''}`,
        `its blades: ${blades.map((b) => b.name).join(', ')}`,
      );
    }
    return blade;
  });
}

function readCredentials(context: LabContext, spec: Spec): BladeCredentials | undefined {
  const chap = spec.san.chap;
  if (!chap) return undefined;
  const paths = labPaths(context.dir);
  const read = (file: string) => readFileSync(file, 'utf8').trim();
  return {
    user: chap.user,
    secret: read(paths.chapSecret),
    ...(chap.mutual && { target: { user: chap.mutual.user, secret: read(paths.chapTargetSecret) } }),
  };
}

/** a TCP port on 127.0.0.1 that nothing listens on now */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts the blades (all of them when `names` is empty); returns them without waiting for their boot. */
export async function labBoot(context: LabContext, names: string[]): Promise<LabVm[]> {
  const state = requireUp(context.dir);
  const { spec } = labSpec(labPaths(context.dir).spec);
  const blades = selectBlades(spec, names);
  const credentials = readCredentials(context, spec);
  const started: LabVm[] = [];
  for (const blade of blades) {
    const tftpDir = join(labPaths(context.dir).boot, blade.name);
    mkdirSync(tftpDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(tftpDir, BOOT_SCRIPT), ipxeScript(spec, blade, credentials), { mode: 0o600 });
    const sshPort = await freePort();
    const vm = await startMachine(context, blade.name, 'blade', bladeVm(state, blade, tftpDir, sshPort), {
      sshPort,
    });
    context.say(
      `${blade.name}: started (qemu pid ${vm.pid}), SAN boot from ${HOST_FROM_GUEST}; console log ${vm.log}; ssh on 127.0.0.1:${sshPort}`,
    );
    started.push(vm);
  }
  return started;
}
