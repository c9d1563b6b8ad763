/**
 * The lab's machines: QEMU processes that outlive the command that started them. Each one's serial
 * console is a UNIX socket (`lab console`, send) and a log of everything it said (waitFor reads
 * it), both in the lab directory; its pid is in lab.json.
 *
 *   const vm = await startMachine(context, 'node01', 'blade', options);
 *   await vm.waitFor(/login:/, 300_000);
 *   await vm.stop();
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../core/errors.ts';
import { locateTool } from '../core/exec/locate-tool.ts';
import { ToolNotFound } from '../core/exec/tools.ts';
import { isRunning, stopProcess, takeLock } from '../core/pid-lock.ts';
import type { LabContext } from './lab.ts';
import { defaultOvmfDir, lastLines, qemuCommand, type VmOptions } from './qemu.ts';
import { labPaths, type MachineRecord, machineIsOurs, readState, writeState } from './state.ts';

const POLL_MS = 200;
/** QEMU that fails on its options does so at once: this long alive counts as started */
const SETTLE_MS = 700;

export interface LabVm {
  readonly name: string;
  readonly pid: number;
  readonly log: string;
  /** the console's UNIX socket */
  readonly socket: string;
  /** the next waitFor looks only at what the console says from now on */
  skipOutput(): void;
  /**
   * Waits for the pattern in the console output after what earlier waitFor calls consumed (like
   * expect(1)). Rejects on timeout, or when QEMU exits first, with the console's last lines.
   */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** keystrokes on the serial line; `\n` is Enter */
  send(text: string): Promise<void>;
  /** everything the console said so far */
  serialLog(): string;
  running(): boolean;
  /** SIGTERM, SIGKILL after 5 s; forgets the machine in lab.json; idempotent */
  stop(): Promise<void>;
}

/** the machine `name` of the lab in `dir`, as recorded, for waiting on and talking to */
export function attachMachine(dir: string, name: string, record: MachineRecord, startAt = 0): LabVm {
  let text = '';
  let offset = startAt;
  const decoder = new StringDecoder('utf8');
  let cursor = 0;
  const read = () => {
    if (!existsSync(record.log)) return;
    const fd = openSync(record.log, 'r');
    try {
      const buffer = Buffer.alloc(1 << 16);
      for (;;) {
        const count = readSync(fd, buffer, 0, buffer.length, offset);
        if (count === 0) break;
        offset += count;
        text += decoder.write(buffer.subarray(0, count));
      }
    } finally {
      closeSync(fd);
    }
  };
  const running = () => machineIsOurs(record);

  return {
    name,
    pid: record.pid,
    log: record.log,
    socket: record.socket,
    running,
    skipOutput: () => {
      read();
      cursor = text.length;
    },
    serialLog: () => {
      read();
      return text;
    },
    async waitFor(pattern, timeoutMs) {
      const search = new RegExp(pattern.source, pattern.flags.replace('g', ''));
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        read();
        const match = search.exec(text.slice(cursor));
        if (match) {
          cursor += match.index + match[0].length;
          return match;
        }
        if (!running()) {
          read();
          throw new UserError(
            `${name}: the machine stopped before ${pattern} appeared on its console; its last lines:\n${lastLines(text)}`,
            `the whole console: ${record.log}`,
          );
        }
        if (Date.now() > deadline) {
          throw new UserError(
            `${name}: no ${pattern} on the console within ${Math.round(timeoutMs / 1000)} s; its last lines:\n${lastLines(text)}`,
            `the whole console: ${record.log}`,
          );
        }
        await sleep(POLL_MS);
      }
    },
    send: (keys) =>
      new Promise<void>((resolve, reject) => {
        const socket = connect(record.socket);
        socket.once('error', (error) =>
          reject(new UserError(`${name}: cannot reach its console ${record.socket}: ${error.message}`)),
        );
        socket.once('connect', () => socket.end(keys, () => resolve()));
      }),
    stop: async () => {
      if (running()) await stopProcess(record.pid);
      rmSync(record.socket, { force: true });
      forget(dir, name, record.pid);
    },
  };
}

function forget(dir: string, name: string, pid: number): void {
  const unlock = takeLock(labPaths(dir).lock, `another lab command in ${dir}`);
  try {
    const state = readState(dir);
    if (state?.machines[name]?.pid === pid) {
      delete state.machines[name];
      writeState(dir, state);
    }
  } finally {
    unlock();
  }
}

/**
 * Starts a machine that outlives this process, recorded in lab.json. A machine of that name that
 * still runs is an error; its console log from an earlier run is kept as LOG.1.
 */
export async function startMachine(
  context: LabContext,
  name: string,
  role: MachineRecord['role'],
  options: VmOptions,
  extra: Pick<MachineRecord, 'sshPort'> = {},
): Promise<LabVm> {
  const { dir } = context;
  const paths = labPaths(dir);
  const qemu = options.qemu ?? 'qemu-system-x86_64';
  const qemuPath = await locateTool(qemu, process.env.PATH ?? '');
  if (qemuPath === undefined) throw new ToolNotFound(qemu, process.env.PATH ?? '');

  const machineDir = join(dir, 'machines', name);
  mkdirSync(machineDir, { recursive: true });
  mkdirSync(paths.consoles, { recursive: true });
  mkdirSync(paths.logs, { recursive: true });
  const record: MachineRecord = {
    pid: 0,
    role,
    socket: join(paths.consoles, `${name}.sock`),
    log: join(paths.logs, `${name}.serial.log`),
    startedAt: new Date().toISOString(),
    ...extra,
  };

  const unlock = takeLock(paths.lock, `another lab command in ${dir}`);
  try {
    const state = readState(dir);
    if (!state) throw new UserError(`no lab is up in ${dir}`, 'start one with `virtualinux lab up`');
    const known = state.machines[name];
    if (known && machineIsOurs(known)) {
      throw new UserError(
        `${name} is running already (qemu pid ${known.pid})`,
        `\`virtualinux lab console ${name}\` reaches it; \`virtualinux lab down\` stops the whole lab`,
      );
    }
    if (existsSync(record.log)) renameSync(record.log, `${record.log}.1`);
    rmSync(record.socket, { force: true });

    let varsFile: string | undefined;
    if ((options.firmware ?? 'bios') === 'uefi') {
      const ovmf = options.ovmfDir ?? defaultOvmfDir;
      if (!existsSync(join(ovmf, 'OVMF_VARS_4M.fd'))) {
        throw new UserError(
          `OVMF_VARS_4M.fd not found in ${ovmf}: apt-get install ovmf`,
          'a UEFI machine needs OVMF',
        );
      }
      varsFile = join(machineDir, 'OVMF_VARS_4M.fd');
      // the firmware's own variables (boot entries) persist across this machine's boots
      if (!existsSync(varsFile)) copyFileSync(join(ovmf, 'OVMF_VARS_4M.fd'), varsFile);
    }
    const command = qemuCommand({ ...options, name }, varsFile, {
      kind: 'socket',
      socket: record.socket,
      log: record.log,
    });
    const qemuLog = join(paths.logs, `${name}.qemu.log`);
    const out = openSync(qemuLog, 'w', 0o600);
    const child = spawn(qemuPath, command.args, { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    record.pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid as number));
      child.once('error', (error) =>
        reject(new UserError(`${name}: ${qemu} could not be started: ${error.message}`)),
      );
    });
    child.unref();
    state.machines[name] = record;
    writeState(dir, state);
    await sleep(SETTLE_MS);
    if (child.exitCode !== null || !isRunning(record.pid)) {
      delete state.machines[name];
      writeState(dir, state);
      const said =
        existsSync(qemuLog) && statSync(qemuLog).size > 0 ? readFileSync(qemuLog, 'utf8').trim() : '';
      throw new UserError(
        `${name}: qemu exited at once${said ? `: ${said}` : ''}`,
        `its command line and output: ${qemuLog}`,
      );
    }
    const shown = `${command.tool} ${command.args.join(' ')}`;
    writeFileSync(join(machineDir, 'qemu.cmdline'), `${shown}\n`);
  } finally {
    unlock();
  }
  return attachMachine(dir, name, record);
}

/** the lab's machine `name`, for waiting on and talking to; a UserError when there is none */
export function labMachine(dir: string, name: string): LabVm {
  const state = readState(dir);
  const record = state?.machines[name];
  if (!state || !record) {
    const known = Object.keys(state?.machines ?? {});
    throw new UserError(
      `no machine ${name} in the lab ${dir}`,
      known.length > 0
        ? `its machines: ${known.join(', ')}`
        : 'none runs: `virtualinux lab boot NODE` starts a blade',
    );
  }
  return attachMachine(dir, name, record);
}
