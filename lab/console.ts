/**
 * A lab machine's serial console: `lab console NODE` (interactive, Ctrl-] leaves) and
 * `lab exec NODE -- CMD` (a command typed into the root shell on the console, its output and exit
 * status read back between markers that its own echo cannot produce).
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { UserError } from '../core/errors.ts';
import { shellQuote } from '../core/exec/command.ts';
import { createRunner } from '../core/exec/runner.ts';
import { labMachine } from './machines.ts';
import { labPaths, readState } from './state.ts';

const DETACH = 0x1d; // Ctrl-]

/** Connects the terminal to the machine's console until Ctrl-] or the machine stops. */
export function attachConsole(
  dir: string,
  name: string,
  stdin: NodeJS.ReadStream,
  stdout: NodeJS.WritableStream,
): Promise<void> {
  const vm = labMachine(dir, name);
  return new Promise((resolve, reject) => {
    const socket = connect(vm.socket);
    const restore = () => {
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.off('data', onKey);
      stdin.pause();
    };
    const onKey = (chunk: Buffer) => {
      if (chunk.includes(DETACH)) {
        socket.end();
        return;
      }
      socket.write(chunk);
    };
    socket.once('error', (error) => {
      restore();
      reject(new UserError(`${name}: cannot reach its console: ${error.message}`));
    });
    socket.once('connect', () => {
      stdout.write(`connected to ${name}'s serial console; Ctrl-] leaves (the machine keeps running)\r\n`);
      if (stdin.isTTY) stdin.setRawMode(true);
      stdin.on('data', onKey);
      stdin.resume();
      socket.pipe(stdout, { end: false });
    });
    socket.once('close', () => {
      restore();
      stdout.write('\r\n');
      resolve();
    });
  });
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

const SHELL_ANSWER_MS = 15_000;

/**
 * Runs a command in the root shell that the machine's serial console shows, and returns what it
 * printed (stdout and stderr, as the terminal shows them) and its exit status.
 */
export async function labExec(
  dir: string,
  name: string,
  command: string[],
  timeoutMs: number,
): Promise<ExecResult> {
  if (command.length === 0)
    throw new UserError('no command to run', `virtualinux lab exec ${name} -- COMMAND...`);
  const sshPort = readState(dir)?.machines[name]?.sshPort;
  if (sshPort !== undefined) return sshExec(dir, name, sshPort, command, timeoutMs);
  const vm = labMachine(dir, name);
  const token = randomBytes(6).toString('hex');
  // typed as "VL""B-token", printed as VLB-token: the terminal's echo of the line never matches
  const begin = `VLB-${token}`;
  const end = `VLE-${token}`;
  const line = `echo "VL""B-${token}"; ${command.map(shellQuote).join(' ')}; echo "VL""E-${token}:$?"\n`;
  vm.skipOutput();
  await vm.send(line);
  try {
    await vm.waitFor(new RegExp(`${begin}\\r?\\n`), SHELL_ANSWER_MS);
  } catch (error) {
    throw new UserError(
      `no shell answered on ${name}'s serial console within ${SHELL_ANSWER_MS / 1000} s`,
      `lab exec types into the root shell on the console: is it at a login prompt or in a menu? \`virtualinux lab console ${name}\` shows it\n${(error as Error).message}`,
    );
  }
  const found = await vm.waitFor(new RegExp(`([\\s\\S]*?)${end}:(\\d+)`), timeoutMs);
  return {
    exitCode: Number(found[2]),
    output: (found[1] ?? '').replaceAll('\r', ''),
  };
}

const ANY_EXIT = Array.from({ length: 256 }, (_, code) => code);

/**
 * A blade: root over SSH with the lab's key (the spec's access.sshKeys carries its public half),
 * through the port QEMU forwards to the blade's port 22. Its host key is new at every factory
 * reset and never trusted: the connection stays on this machine's loopback.
 */
async function sshExec(
  dir: string,
  name: string,
  port: number,
  command: string[],
  timeoutMs: number,
): Promise<ExecResult> {
  // a blade shows its login prompt a little before sshd answers (it makes its host keys first):
  // a refused or timed-out connection is tried again for a while
  const deadline = Date.now() + SSH_READY_MS;
  for (;;) {
    const result = await sshOnce(dir, port, command, timeoutMs);
    const notYet =
      result.exitCode === 255 &&
      /Connection (refused|timed out|closed|reset)|kex_exchange/m.test(result.stderr);
    if (!notYet || Date.now() > deadline) return sshOutcome(name, port, result);
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

/** how long a blade's sshd may take to answer after its login prompt */
const SSH_READY_MS = 120_000;

function sshOnce(dir: string, port: number, command: string[], timeoutMs: number) {
  return createRunner().run({
    tool: 'ssh',
    args: [
      '-i',
      labPaths(dir).sshKey,
      '-p',
      String(port),
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'LogLevel=ERROR',
      '-o',
      'ConnectTimeout=10',
      'root@127.0.0.1',
      '--',
      command.map(shellQuote).join(' '),
    ],
    timeoutMs,
    allowExitCodes: ANY_EXIT,
  });
}

function sshOutcome(
  name: string,
  port: number,
  result: { exitCode: number; stdout: string; stderr: string },
): ExecResult {
  // ssh's own failure (no connection, key refused) is 255: said as such, not as the command's
  if (result.exitCode === 255 && /^(ssh|Connection|kex_exchange|Permission denied)/m.test(result.stderr)) {
    throw new UserError(
      `${name}: ssh to 127.0.0.1:${port} failed: ${result.stderr.trim().split('\n').at(-1)}`,
      `is ${name} up to multi-user? \`virtualinux lab console ${name}\` shows its console`,
    );
  }
  return { exitCode: result.exitCode, output: `${result.stdout}${result.stderr}` };
}
