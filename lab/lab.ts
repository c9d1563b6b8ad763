/**
 * The lab: a VirtuaLinux cluster on one machine. `up` starts the SAN (a private tgtd serving a
 * sparse file as the cluster's LUN, with the spec's target name, CHAP and initiator ACL) and fixes
 * the cluster network; `down` stops everything it started, by pid. The machines (the DVD
 * installer, the blades) are in machines.ts. Every command is a separate process: what runs is
 * in DIR/lab.json (state.ts).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isScalar, isSeq, parseDocument } from 'yaml';
import { UserError } from '../core/errors.ts';
import { locateTool } from '../core/exec/locate-tool.ts';
import type { Runner } from '../core/exec/runner.ts';
import { ToolNotFound } from '../core/exec/tools.ts';
import { formatBytes } from '../core/exec/units.ts';
import { stopProcess, takeLock } from '../core/pid-lock.ts';
import { expandBlades, initiatorName, installerInitiatorName, layoutNeed } from '../core/spec/derive.ts';
import { EXAMPLE_SPEC_URL } from '../core/spec/example.ts';
import { loadSpec } from '../core/spec/load.ts';
import type { Spec } from '../core/spec/schema.ts';
import { lastLines } from './qemu.ts';
import {
  LAB_FORMAT,
  type LabState,
  labPaths,
  machineIsOurs,
  newSecret,
  readState,
  sanIsOurs,
  writeState,
} from './state.ts';
import {
  createAccount,
  deleteTarget,
  parseSessions,
  type SanPlan,
  sanCommands,
  showTargets,
  tgtdCommand,
  tgtdSocket,
} from './tgtd.ts';

/** where QEMU's user networking puts the host, as the guests see it (ARCHITECTURE §7) */
export const HOST_FROM_GUEST = '10.0.2.2';
const LISTEN_ADDRESS = '127.0.0.1';
const TGTD_START_MS = 10_000;
const GiB = 2 ** 30;

export interface LabContext {
  dir: string;
  runner: Runner;
  /** one line for the administrator (stderr of the CLI) */
  say: (line: string) => void;
}

/** the spec a lab runs: the file given, else the embedded example */
export function labSpec(file?: string): { file: string; spec: Spec; text: string } {
  const path = file ?? EXAMPLE_SPEC_URL.pathname;
  const spec = loadSpec(path);
  const problems: string[] = [];
  const portal = spec.san.portals[0];
  if (portal?.address !== HOST_FROM_GUEST) {
    problems.push(
      `san.portals[0] is ${portal?.address}: in the lab, the SAN is on this machine, which the blades reach at ${HOST_FROM_GUEST} (QEMU user networking); write san.portals: [${HOST_FROM_GUEST}:${portal?.port ?? 3260}]`,
    );
  }
  if (spec.san.lun === 0) {
    problems.push('san.lun is 0: tgtd keeps LUN 0 for its controller; write san.lun: 1');
  }
  if (spec.san.transport !== 'tcp') {
    problems.push('san.transport is iser: the lab has no RDMA fabric; write san.transport: tcp');
  }
  if (problems.length > 0) {
    throw new UserError(
      `${path} cannot run in the lab:\n  ${problems.join('\n  ')}`,
      'the lab example: virtualinux spec example',
    );
  }
  return { file: path, spec, text: readFileSync(path, 'utf8') };
}

/** the SAN the lab serves for a spec: LUN sized from the spec (san.size, else what the layout needs) */
export function sanPlan(spec: Spec, dir: string): SanPlan & { lunBytes: number } {
  const port = spec.san.portals[0]?.port ?? 3260;
  const need = spec.san.size ?? layoutNeed(spec).total;
  const chap = spec.san.chap;
  return {
    controlPort: port,
    listen: { address: LISTEN_ADDRESS, port },
    target: spec.san.target,
    lun: spec.san.lun,
    lunFile: join(labPaths(dir).lunDir, `lun${spec.san.lun}.img`),
    lunBytes: Math.ceil(need / GiB) * GiB,
    initiators: [
      installerInitiatorName(spec),
      ...expandBlades(spec).map((blade) => initiatorName(spec, blade)),
    ],
    ...(chap && { chap: { user: chap.user, ...(chap.mutual && { mutualUser: chap.mutual.user }) } }),
  };
}

/** one multicast group and port per lab directory, so that two labs never share a segment */
export function clusterSegment(dir: string): { group: string; port: number } {
  const digest = createHash('sha256').update(dir).digest();
  return { group: `239.255.${digest[0]}.${digest[1]}`, port: 20000 + (digest.readUInt16BE(2) % 10000) };
}

async function requireTools(tools: string[]): Promise<void> {
  for (const tool of tools) {
    if ((await locateTool(tool, process.env.PATH ?? '')) === undefined) {
      throw new ToolNotFound(tool, process.env.PATH ?? '');
    }
  }
}

/** UserError when something listens on the port already, naming it when `ss` can */
async function requireFreePort(address: string, port: number, runner: Runner): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, address, () => server.close(() => resolve(true)));
  });
  if (free) return;
  let holder = '';
  try {
    const ss = await runner.run({ tool: 'ss', args: ['-Hltnp', `sport = :${port}`] });
    const found = /users:\(\("([^"]+)",pid=(\d+)/.exec(ss.stdout);
    if (found) holder = ` by ${found[1]} (pid ${found[2]})`;
  } catch {
    // who holds it is a courtesy
  }
  throw new UserError(
    `port ${port} on ${address} is taken${holder}: the lab SAN cannot listen there`,
    `stop that program, or give the lab another port: san.portals: [${HOST_FROM_GUEST}:${port + 1}] in a copy of the spec (virtualinux spec example > lab.yaml; virtualinux lab up --spec lab.yaml)`,
  );
}

/** creates the sparse LUN file, or grows it to the size the spec asks for (never shrinks it) */
function ensureLun(file: string, bytes: number, say: LabContext['say']): void {
  mkdirSync(join(file, '..'), { recursive: true });
  if (!existsSync(file)) {
    closeSync(openSync(file, 'wx', 0o600));
    truncateSync(file, bytes);
    say(`LUN ${file}: ${formatBytes(bytes)}, sparse (new)`);
    return;
  }
  const size = statSync(file).size;
  if (size < bytes) {
    truncateSync(file, bytes);
    say(`LUN ${file}: grown from ${formatBytes(size)} to ${formatBytes(bytes)}`);
  } else {
    say(`LUN ${file}: ${formatBytes(size)}, kept as it is (what was installed on it stays)`);
  }
}

/** the secret in `file`, made (0600) when there is none yet */
function ensureSecret(file: string): string {
  if (!existsSync(file)) writeFileSync(file, `${newSecret()}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return readFileSync(file, 'utf8').trim();
}

/** the lab's SSH key pair (made once per lab directory); returns the public key line */
async function ensureSshKey(file: string, runner: Runner): Promise<string> {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    await runner.run({
      tool: 'ssh-keygen',
      args: ['-q', '-t', 'ed25519', '-N', '', '-C', 'virtualinux-lab', '-f', file],
    });
  }
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

/** the spec as the lab installs it: the administrator's, with the lab's key in access.sshKeys */
export function specWithKey(text: string, key: string): string {
  const document = parseDocument(text);
  const keys = document.getIn(['access', 'sshKeys']);
  if (isSeq(keys)) {
    if (!keys.items.some((item) => isScalar(item) && item.value === key)) keys.add(key);
  } else if (document.hasIn(['access'])) {
    document.setIn(['access', 'sshKeys'], document.createNode([key]));
  } else {
    document.set('access', document.createNode({ sshKeys: [key] }));
  }
  return document.toString();
}

/** the end of a log file, for an error message */
function tail(file: string): string {
  return existsSync(file) ? lastLines(readFileSync(file, 'utf8').trimEnd(), 15) : '  (no log)';
}

/** what is left of a lab whose processes died without `lab down` */
function isStale(state: LabState): boolean {
  return !sanIsOurs(state) && Object.values(state.machines).every((m) => !machineIsOurs(m));
}

/**
 * Starts the lab SAN for the spec. A lab that is up already is an error; one whose processes are
 * gone (a crash, a reboot) or that never finished starting is cleaned up first.
 */
export async function labUp(context: LabContext, specFile?: string): Promise<LabState> {
  const { dir, runner, say } = context;
  const paths = labPaths(dir);
  const { file, spec, text } = labSpec(specFile);
  await requireTools(['tgtd', 'tgtadm', 'qemu-system-x86_64']);
  const unlock = takeLock(paths.lock, `another lab command in ${dir}`);
  try {
    const previous = readState(dir);
    if (previous) {
      if (previous.phase === 'up' && !isStale(previous)) {
        throw new UserError(
          `a lab is up already in ${dir} (tgtd pid ${previous.san.pid}, since ${previous.startedAt})`,
          '`virtualinux lab status` shows what runs; `virtualinux lab down` stops it',
        );
      }
      say(`a lab in ${dir} was not stopped cleanly: stopping what is left of it first`);
      await stopLab(context, previous);
    }

    const plan = sanPlan(spec, dir);
    await requireFreePort(plan.listen.address, plan.listen.port, runner);
    mkdirSync(paths.logs, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const installed = specWithKey(text, await ensureSshKey(paths.sshKey, runner));
    writeFileSync(paths.spec, installed, { mode: 0o600 });
    ensureLun(plan.lunFile, plan.lunBytes, say);
    const secret = plan.chap && ensureSecret(paths.chapSecret);
    const targetSecret = plan.chap?.mutualUser && ensureSecret(paths.chapTargetSecret);
    if (secret && targetSecret && secret === targetSecret) {
      throw new UserError(
        `${paths.chapSecret} and ${paths.chapTargetSecret} hold the same secret`,
        'mutual CHAP needs two different secrets: remove one of the files and run lab up again',
      );
    }

    const pid = await startTgtd(plan, paths.tgtdLog);
    const state: LabState = {
      format: LAB_FORMAT,
      phase: 'starting',
      startedAt: new Date().toISOString(),
      spec: { file, sha256: createHash('sha256').update(installed).digest('hex') },
      san: {
        pid,
        controlPort: plan.controlPort,
        listen: plan.listen,
        target: plan.target,
        lun: plan.lun,
        lunFile: plan.lunFile,
      },
      network: clusterSegment(dir),
      machines: {},
    };
    // from here on a crash leaves a state that names the daemon: the next lab up stops it
    writeState(dir, state);
    try {
      const commands = sanCommands(plan);
      for (const command of commands.target) await runner.run(command);
      if (plan.chap && secret) await createAccount(plan.controlPort, plan.chap.user, secret);
      if (plan.chap?.mutualUser && targetSecret) {
        await createAccount(plan.controlPort, plan.chap.mutualUser, targetSecret);
      }
      for (const command of commands.bindAccounts) await runner.run(command);
    } catch (error) {
      await stopLab(context, state);
      throw error;
    }
    state.phase = 'up';
    writeState(dir, state);
    say(
      `lab SAN up: ${plan.target} LUN ${plan.lun} on ${plan.listen.address}:${plan.listen.port} (blades: ${HOST_FROM_GUEST}:${plan.listen.port}), tgtd pid ${pid}`,
    );
    say(
      plan.chap
        ? `CHAP user ${plan.chap.user}${plan.chap.mutualUser ? `, mutual with ${plan.chap.mutualUser}` : ''}; secret in ${paths.chapSecret} (0600)`
        : 'no CHAP (the spec has no san.chap)',
    );
    say(
      `ACL: ${plan.initiators.length} initiator names (the installer and ${plan.initiators.length - 1} blades)`,
    );
    return state;
  } finally {
    unlock();
  }
}

/** starts tgtd in its own session (it outlives this command) and waits for its socket */
async function startTgtd(plan: SanPlan, log: string): Promise<number> {
  const socket = tgtdSocket(plan.controlPort);
  // a socket left by a tgtd that was killed: the new one cannot bind its name otherwise
  rmSync(socket, { force: true });
  rmSync(`${socket}.lock`, { force: true });
  const command = tgtdCommand(plan);
  const out = openSync(log, 'a', 0o600);
  const child = spawn(command.tool, command.args, { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid as number));
    child.once('error', (error) => reject(new UserError(`tgtd could not be started: ${error.message}`)));
  });
  child.unref();
  const deadline = Date.now() + TGTD_START_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (existsSync(socket)) return pid;
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
  throw new UserError(
    `tgtd did not start (no ${socket} after ${TGTD_START_MS / 1000} s); its log ${log} ends:\n${tail(log)}`,
    'is another tgtd using that control port? `virtualinux lab status` and `ss -ltnp` tell',
  );
}

export interface DownReport {
  stopped: string[];
  /** what was already gone */
  gone: string[];
}

/** stops what a lab state names: machines (SIGTERM, then SIGKILL), then the SAN; forgets the state */
async function stopLab(context: LabContext, state: LabState): Promise<DownReport> {
  const report: DownReport = { stopped: [], gone: [] };
  for (const [name, machine] of Object.entries(state.machines)) {
    if (machineIsOurs(machine)) {
      await stopProcess(machine.pid);
      report.stopped.push(`${name} (qemu pid ${machine.pid})`);
    } else report.gone.push(name);
    rmSync(machine.socket, { force: true });
  }
  if (sanIsOurs(state)) {
    // tgtd ignores SIGTERM (ARCHITECTURE §7): its target goes offline first, sessions and all
    await context.runner.run({ ...deleteTarget(state.san), allowExitCodes: [22] }).catch(() => undefined);
    await stopProcess(state.san.pid, 'SIGKILL');
    report.stopped.push(`tgtd (pid ${state.san.pid})`);
  } else report.gone.push('tgtd');
  const socket = tgtdSocket(state.san.controlPort);
  rmSync(socket, { force: true });
  rmSync(`${socket}.lock`, { force: true });
  rmSync(labPaths(context.dir).state, { force: true });
  return report;
}

/** Stops the lab in `dir`; nothing to stop is not an error (idempotent). Keeps the LUN and logs. */
export async function labDown(context: LabContext, options: { purge?: boolean } = {}): Promise<DownReport> {
  const unlock = takeLock(labPaths(context.dir).lock, `another lab command in ${context.dir}`);
  try {
    const state = readState(context.dir);
    const report = state ? await stopLab(context, state) : { stopped: [], gone: [] };
    if (options.purge) rmSync(context.dir, { recursive: true, force: true });
    return report;
  } finally {
    if (!options.purge) unlock();
  }
}

export interface LabStatus {
  dir: string;
  up: boolean;
  san?: {
    pid: number;
    running: boolean;
    portal: string;
    target: string;
    lunFile: string;
    lunBytes: number;
    /** bytes the sparse file really takes on disk */
    lunAllocated: number;
    sessions: Array<{ initiator: string; address?: string }>;
  };
  machines: Array<{ name: string; role: string; pid: number; running: boolean; log: string }>;
}

export async function labStatus(context: LabContext): Promise<LabStatus> {
  const state = readState(context.dir);
  if (!state) return { dir: context.dir, up: false, machines: [] };
  const running = sanIsOurs(state);
  let sessions: Array<{ initiator: string; address?: string }> = [];
  if (running) {
    const shown = await context.runner.run(showTargets(state.san)).catch(() => undefined);
    sessions = shown ? parseSessions(shown.stdout) : [];
  }
  const lun = existsSync(state.san.lunFile) ? statSync(state.san.lunFile) : undefined;
  return {
    dir: context.dir,
    up: state.phase === 'up' && running,
    san: {
      pid: state.san.pid,
      running,
      portal: `${state.san.listen.address}:${state.san.listen.port}`,
      target: state.san.target,
      lunFile: state.san.lunFile,
      lunBytes: lun?.size ?? 0,
      lunAllocated: (lun?.blocks ?? 0) * 512,
      sessions,
    },
    machines: Object.entries(state.machines).map(([name, machine]) => ({
      name,
      role: machine.role,
      pid: machine.pid,
      running: machineIsOurs(machine),
      log: machine.log,
    })),
  };
}

/** the state of a lab that is up, or a UserError saying how to bring it up */
export function requireUp(dir: string): LabState {
  const state = readState(dir);
  if (state?.phase !== 'up' || !sanIsOurs(state)) {
    throw new UserError(
      `no lab is up in ${dir}`,
      'start one with `virtualinux lab up` (or all of it: `virtualinux lab run`)',
    );
  }
  return state;
}
