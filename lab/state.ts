/**
 * What a lab has running, kept in DIR/lab.json so that every `virtualinux lab` command (separate
 * processes) finds it: the SAN daemon, the machines, their consoles. A pid counts as ours only
 * while /proc says it is still the program we started, with our lab's paths in its command line,
 * so a recycled pid is never signalled.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { isRunning } from '../core/pid-lock.ts';

export const LAB_FORMAT = 1;

const Machine = z.object({
  pid: z.int(),
  role: z.enum(['installer', 'blade']),
  /** the serial console: a UNIX socket (lab console) and the log of everything it said */
  socket: z.string(),
  log: z.string(),
  startedAt: z.string(),
  /** a blade's SSH: the port on 127.0.0.1 that QEMU forwards to its port 22 */
  sshPort: z.int().optional(),
});
export type MachineRecord = z.infer<typeof Machine>;

export const LabState = z.object({
  format: z.literal(LAB_FORMAT),
  /** `starting` until lab up finished: a lab left so by a crash is stopped and started afresh */
  phase: z.enum(['starting', 'up']),
  startedAt: z.string(),
  spec: z.object({ file: z.string(), sha256: z.string() }),
  san: z.object({
    pid: z.int(),
    controlPort: z.int(),
    listen: z.object({ address: z.string(), port: z.int() }),
    target: z.string(),
    lun: z.int(),
    lunFile: z.string(),
  }),
  /** the cluster network: one L2 segment, QEMU's UDP multicast */
  network: z.object({ group: z.string(), port: z.int() }),
  machines: z.record(z.string(), Machine),
});
export type LabState = z.infer<typeof LabState>;

/** DIR from --dir, else $VIRTUALINUX_LAB, else .lab in the current directory */
export const labDirectory = (dir?: string, env: NodeJS.ProcessEnv = process.env): string =>
  resolve(dir ?? env.VIRTUALINUX_LAB ?? '.lab');

export const labPaths = (dir: string) => ({
  dir,
  state: join(dir, 'lab.json'),
  lock: join(dir, 'lock'),
  lunDir: join(dir, 'san'),
  tgtdLog: join(dir, 'logs', 'tgtd.log'),
  logs: join(dir, 'logs'),
  consoles: join(dir, 'consoles'),
  boot: join(dir, 'boot'),
  /** the CHAP secret the blades (and the installer) log in with, 0600 */
  chapSecret: join(dir, 'chap.secret'),
  /** the target's secret for mutual CHAP, 0600 */
  chapTargetSecret: join(dir, 'chap-target.secret'),
  spec: join(dir, 'cluster.yaml'),
  /** the lab's SSH key: its public half is in the spec's access.sshKeys, so lab exec reaches the blades */
  sshKey: join(dir, 'ssh', 'id_ed25519'),
});

export function readState(dir: string): LabState | undefined {
  const file = labPaths(dir).state;
  if (!existsSync(file)) return undefined;
  const parsed = LabState.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(`${file} is not a lab state this version understands: ${parsed.error.message}`);
  }
  return parsed.data;
}

/** temp file + rename: a crash leaves the old state or the new one, never half of one */
export function writeState(dir: string, state: LabState): void {
  mkdirSync(dir, { recursive: true });
  const file = labPaths(dir).state;
  writeFileSync(`${file}.new`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.new`, file);
}

/** whether `pid` runs and is `program` with `marker` among its arguments (our process, not a recycled pid) */
export function isOurs(pid: number, program: string, marker: string): boolean {
  if (!isRunning(pid)) return false;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return (args[0] ?? '').endsWith(program) && args.some((arg) => arg.includes(marker));
  } catch {
    return false;
  }
}

export const sanIsOurs = (state: LabState) =>
  isOurs(state.san.pid, 'tgtd', `portal=${state.san.listen.address}:${state.san.listen.port}`);

export const machineIsOurs = (machine: MachineRecord) =>
  isOurs(machine.pid, 'qemu-system-x86_64', machine.socket);

/** a CHAP secret: 16 characters from 62 (95 bits; what initiators accept, 12 to 16 characters) */
export function newSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let secret = '';
  while (secret.length < 16) {
    for (const byte of randomBytes(32)) {
      // rejection sampling: no letter more likely than another
      if (byte < 248 && secret.length < 16) secret += alphabet[byte % 62];
    }
  }
  return secret;
}
