/**
 * A QEMU machine for the lab and the e2e tests: options are data, the command line is built from
 * them by a pure function. startVm() runs one attached to this process (the serial console is a
 * pipe); the lab (machines.ts) starts them detached, the console on a UNIX socket and a log file.
 *
 *   const vm = await startVm({ cdrom: iso, firmware: 'uefi' });
 *   await vm.waitFor(/VirtuaLinux installer/, 180_000);
 *   vm.send('s');
 *   await vm.stop();
 *
 * QEMU runs with `-accel tcg` (KVM aborts on the build machines, ARCHITECTURE §7). Every VM is
 * tracked until stopped: stopAllVms() in an afterAll/afterEach (see cleanup.ts), and a process
 * exit handler that SIGKILLs what is left, so a failing test never leaves a qemu behind.
 *
 * QEMU is not run through core/exec's runner: the runner waits for a command to end and captures
 * its output by lines, and a VM is a long-lived process whose console is read byte by byte
 * (prompts end without a newline) and written to.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { UserError } from '../core/errors.ts';
import type { Command } from '../core/exec/command.ts';
import { locateTool } from '../core/exec/locate-tool.ts';
import { ToolNotFound } from '../core/exec/tools.ts';

export type Firmware = 'bios' | 'uefi';

export interface VmDisk {
  file: string;
  format?: 'raw' | 'qcow2';
  /** virtio by default; ide or scsi for guests without virtio drivers */
  interface?: 'virtio' | 'ide' | 'scsi';
  readOnly?: boolean;
  /** writes go to a temporary file QEMU throws away: the image is left as it was */
  snapshot?: boolean;
}

/** A network card and what it is plugged into. */
export interface VmNic {
  mac: string;
  /**
   * user: QEMU's own NAT (the guest reaches the host's loopback at 10.0.2.2), with an optional
   * TFTP root + boot file (what iPXE fetches);
   * mcast: one L2 segment shared by every VM that names the same group and port, no root needed
   */
  net:
    | {
        kind: 'user';
        tftp?: string;
        bootfile?: string;
        /** guest TCP ports reachable on 127.0.0.1 of the host: host port → guest port */
        forward?: Array<{ host: number; guest: number }>;
      }
    | { kind: 'mcast'; group: string; port: number };
  /** the NIC firmware boots (iPXE) when set; lower boots first */
  bootIndex?: number;
}

export interface VmOptions {
  /** names the VM in messages and log files */
  name?: string;
  /** MiB; 1024 by default (ARCHITECTURE §7: a 2-core, 24 GiB machine runs several) */
  memoryMiB?: number;
  cpus?: number;
  /** `max` by default: TCG's default qemu64 lacks instructions that current binaries use */
  cpu?: string;
  firmware?: Firmware;
  /** an ISO attached as a CD-ROM; the VM boots from it first */
  cdrom?: string;
  disks?: VmDisk[];
  /** network cards in this order (eth0, eth1, ...); absent: QEMU's default NIC; []: none */
  nics?: VmNic[];
  /** files the guest reads through QEMU's fw_cfg, e.g. opt/org.virtualinux/cluster.yaml */
  fwCfg?: Array<{ name: string; file: string }>;
  /** direct kernel boot (QEMU loads them; no boot loader, no medium) */
  kernel?: { kernel: string; initrd?: string; append?: string };
  /** a reboot restarts the machine (a blade); by default QEMU exits instead (-no-reboot) */
  reboots?: boolean;
  /** appended as is, after everything the harness builds */
  extraArgs?: string[];
  /** where OVMF_CODE_4M.fd and OVMF_VARS_4M.fd are (package ovmf) */
  ovmfDir?: string;
  /** the QEMU binary; qemu-system-x86_64 on PATH by default */
  qemu?: string;
}

export const defaultOvmfDir = '/usr/share/OVMF';
const LOG_TAIL_LINES = 40;
const STOP_GRACE_MS = 5_000;

/** QEMU reads `,` as an option separator: a comma inside a value is written twice. */
const optionValue = (value: string) => value.replaceAll(',', ',,');

function nicArgs(nic: VmNic, index: number): string[] {
  const id = `net${index}`;
  const net = nic.net;
  const netdev =
    net.kind === 'user'
      ? [
          `user,id=${id}`,
          ...(net.tftp ? [`tftp=${optionValue(net.tftp)}`] : []),
          ...(net.bootfile ? [`bootfile=${optionValue(net.bootfile)}`] : []),
          ...(net.forward ?? []).map(({ host, guest }) => `hostfwd=tcp:127.0.0.1:${host}-:${guest}`),
        ]
      : [`socket,id=${id}`, `mcast=${net.group}:${net.port}`, 'localaddr=127.0.0.1'];
  const device = [
    'virtio-net-pci',
    `netdev=${id}`,
    `mac=${nic.mac}`,
    ...(nic.bootIndex !== undefined ? [`bootindex=${nic.bootIndex}`] : []),
  ];
  return ['-netdev', netdev.join(','), '-device', device.join(',')];
}

/** Where the serial console goes: this process's pipes, or a UNIX socket plus a log of everything. */
export type VmConsole = { kind: 'stdio' } | { kind: 'socket'; socket: string; log: string };

function driveArgs(disk: VmDisk): string[] {
  const properties = [
    `file=${optionValue(disk.file)}`,
    `format=${disk.format ?? 'raw'}`,
    `if=${disk.interface ?? 'virtio'}`,
    ...(disk.readOnly ? ['readonly=on'] : []),
    ...(disk.snapshot ? ['snapshot=on'] : []),
  ];
  return ['-drive', properties.join(',')];
}

/**
 * The QEMU command for these options: pure, so the command line is testable and can be shown.
 * `varsFile` is the VM's private copy of the UEFI variable store (firmware 'uefi' only).
 */
export function qemuCommand(
  options: VmOptions,
  varsFile?: string,
  console: VmConsole = { kind: 'stdio' },
): Command {
  const firmware = options.firmware ?? 'bios';
  if (firmware === 'uefi' && varsFile === undefined) {
    throw new Error('a UEFI VM needs its own copy of the variable store (varsFile)');
  }
  const ovmf = options.ovmfDir ?? defaultOvmfDir;
  const args = [
    ...['-name', optionValue(options.name ?? 'vm')],
    ...['-accel', 'tcg'],
    ...['-cpu', options.cpu ?? 'max'],
    ...['-m', String(options.memoryMiB ?? 1024)],
    ...['-smp', String(options.cpus ?? 1)],
    ...(firmware === 'uefi'
      ? [
          ...[
            '-drive',
            `if=pflash,format=raw,unit=0,readonly=on,file=${optionValue(join(ovmf, 'OVMF_CODE_4M.fd'))}`,
          ],
          ...['-drive', `if=pflash,format=raw,unit=1,file=${optionValue(varsFile ?? '')}`],
        ]
      : []),
    ...(options.cdrom
      ? ['-drive', `file=${optionValue(options.cdrom)},format=raw,if=ide,index=2,media=cdrom,readonly=on`]
      : []),
    ...(options.disks ?? []).flatMap(driveArgs),
    ...(options.cdrom ? ['-boot', 'order=dc'] : []),
    ...(options.nics === undefined
      ? []
      : options.nics.length === 0
        ? ['-nic', 'none']
        : options.nics.flatMap(nicArgs)),
    ...(options.fwCfg ?? []).flatMap((f) => ['-fw_cfg', `name=${f.name},file=${optionValue(f.file)}`]),
    ...(options.kernel
      ? [
          ...['-kernel', options.kernel.kernel],
          ...(options.kernel.initrd ? ['-initrd', options.kernel.initrd] : []),
          ...(options.kernel.append ? ['-append', options.kernel.append] : []),
        ]
      : []),
    ...['-display', 'none'],
    ...(options.reboots ? [] : ['-no-reboot']),
    ...['-chardev', consoleChardev(console)],
    ...['-serial', 'chardev:serial0'],
    ...['-monitor', 'none'],
    ...['-parallel', 'none'],
    ...(options.extraArgs ?? []),
  ];
  return { tool: options.qemu ?? 'qemu-system-x86_64', args };
}

function consoleChardev(console: VmConsole): string {
  // stdio: the console is our stdin/stdout; signal=off: a ^C sent to the guest stays the guest's
  if (console.kind === 'stdio') return 'stdio,id=serial0,signal=off';
  // a server nobody has to be connected to (wait=off); everything the guest says is also logged
  return `socket,id=serial0,path=${optionValue(console.socket)},server=on,wait=off,logfile=${optionValue(console.log)},logappend=on`;
}

export interface VmExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Vm {
  readonly name: string;
  readonly pid: number;
  readonly command: Command;
  /** settles when QEMU has exited, for whatever reason */
  readonly exited: Promise<VmExit>;
  /**
   * Waits for the pattern in the serial output not yet consumed by an earlier waitFor (like
   * expect(1)): after a match, the next waitFor looks only at what came after it. Rejects on
   * timeout, or when QEMU exits first, with the console's last 40 lines in the message.
   */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** keystrokes on the serial line; `\n` is Enter */
  send(text: string): void;
  /** everything the serial console said so far */
  serialLog(): string;
  /** what QEMU itself wrote on stderr (bad options, missing images) */
  qemuErrors(): string;
  /** SIGTERM, SIGKILL after 5 s, waits for the exit, removes the VM's temporary files; idempotent */
  stop(): Promise<void>;
}

interface Tracked {
  child: ChildProcess;
  workDir: string;
  stop(): Promise<void>;
}

const running = new Set<Tracked>();
let exitHandlerInstalled = false;

/** Last resort when the test process ends with VMs still running: kill them, synchronously. */
function killLeftovers(): void {
  for (const vm of running) {
    try {
      if (vm.child.pid !== undefined && vm.child.exitCode === null) process.kill(vm.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(vm.workDir, { recursive: true, force: true });
  }
  running.clear();
}

/** Stops every VM this process started and has not stopped yet. */
export async function stopAllVms(): Promise<void> {
  await Promise.all([...running].map((vm) => vm.stop()));
}

/** How many VMs this process started and has not stopped (for safety-net assertions). */
export const runningVmCount = (): number => running.size;

/** the last lines of a console, indented and marked, for an error message */
export const lastLines = (text: string, count = LOG_TAIL_LINES) =>
  text
    .split(/\r?\n/)
    .slice(-count)
    .map((line) => `  | ${line}`)
    .join('\n');

export async function startVm(options: VmOptions): Promise<Vm> {
  const name = options.name ?? 'vm';
  const qemuTool = options.qemu ?? 'qemu-system-x86_64';
  const qemuPath = await locateTool(qemuTool, process.env.PATH ?? '');
  if (qemuPath === undefined) throw new ToolNotFound(qemuTool, process.env.PATH ?? '');

  const uefi = (options.firmware ?? 'bios') === 'uefi';
  const ovmfDir = options.ovmfDir ?? defaultOvmfDir;
  if (uefi) {
    for (const file of ['OVMF_CODE_4M.fd', 'OVMF_VARS_4M.fd']) {
      if (!existsSync(join(ovmfDir, file))) {
        throw new UserError(`${file} not found in ${ovmfDir}: apt-get install ovmf`, 'a UEFI VM needs OVMF');
      }
    }
  }
  const workDir = mkdtempSync(join(tmpdir(), `vl-vm-${name.replaceAll(/[^\w-]/g, '_')}-`));
  // the firmware writes its variables (boot entries): each VM gets its own copy, thrown away after
  const varsFile = uefi ? join(workDir, 'OVMF_VARS_4M.fd') : undefined;
  if (varsFile) copyFileSync(join(ovmfDir, 'OVMF_VARS_4M.fd'), varsFile);
  const command = qemuCommand(options, varsFile);
  const child = spawn(qemuPath, command.args, { stdio: ['pipe', 'pipe', 'pipe'] });

  let log = '';
  let errors = '';
  let cursor = 0;
  const decoder = new StringDecoder('utf8');
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    log += decoder.write(chunk);
    for (const listener of [...listeners]) listener();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  // the guest may stop reading (powered off): a write then must not crash the test process
  child.stdin?.on('error', () => {});

  // 'close', not 'exit': by then the last bytes of the console have been read
  let ended: VmExit | undefined;
  const exited = new Promise<VmExit>((resolve) => {
    child.once('close', (code, signal) => {
      ended = { code, signal };
      for (const listener of [...listeners]) listener();
      resolve(ended);
    });
  });

  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => {
      rmSync(workDir, { recursive: true, force: true });
      reject(new Error(`${name}: ${qemuTool} could not be started: ${error.message}`));
    });
  });
  const pid = child.pid as number;

  let stopping: Promise<void> | undefined;
  const tracked: Tracked = {
    child,
    workDir,
    stop: () => {
      stopping ??= (async () => {
        if (ended === undefined) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
          await exited;
          clearTimeout(timer);
        }
        rmSync(workDir, { recursive: true, force: true });
        running.delete(tracked);
      })();
      return stopping;
    },
  };
  running.add(tracked);
  if (!exitHandlerInstalled) {
    process.on('exit', killLeftovers);
    exitHandlerInstalled = true;
  }

  const describeEnd = (info: VmExit) =>
    `qemu exited (${info.signal ?? `code ${info.code}`})${errors.trim() ? `; qemu said:\n${errors.trim()}` : ''}`;

  const waitFor = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const search = new RegExp(pattern.source, pattern.flags.replace('g', ''));
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        listeners.delete(check);
        clearTimeout(timer);
      };
      const check = () => {
        const match = search.exec(log.slice(cursor));
        if (match) {
          cursor += match.index + match[0].length;
          done();
          resolve(match);
        } else if (ended) {
          done();
          reject(
            new Error(
              `${name}: ${describeEnd(ended)} before ${pattern} appeared; the serial console's last lines:\n${lastLines(log)}`,
            ),
          );
        }
      };
      timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `${name}: no ${pattern} on the serial console within ${Math.round(timeoutMs / 1000)} s; its last lines:\n${lastLines(log)}`,
          ),
        );
      }, timeoutMs);
      listeners.add(check);
      check();
    });

  return {
    name,
    pid,
    command,
    exited,
    waitFor,
    send: (text) => {
      child.stdin?.write(text);
    },
    serialLog: () => log,
    qemuErrors: () => errors,
    stop: tracked.stop,
  };
}
