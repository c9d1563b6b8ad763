/**
 * Reaching the SAN from the machine the installer runs on: the storage interface (sif) brought up
 * as the spec says, then iSCSI discovery on every portal and a login on the first that answers,
 * with the explicit portal (a SAN behind NAT, like the lab's, reports its own address in
 * SendTargets). The installer logs in on one path only: two paths without dm-multipath would show
 * LVM the same physical volume twice. Blades use every portal (multipath, the diskless-boot issue).
 *
 * CHAP goes into iscsid.conf (mode 0600) before the node record is made, so iscsiadm copies it from
 * there: the secret is never on a command line, in an event or in the plan.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { UserError } from '../../core/errors.ts';
import type { Command } from '../../core/exec/command.ts';
import { CommandFailed } from '../../core/exec/failure.ts';
import type { Runner } from '../../core/exec/runner.ts';
import { fabricNetwork, installerInitiatorName } from '../../core/spec/derive.ts';
import { broadcast, formatIpv4 } from '../../core/spec/ipv4.ts';
import type { Spec } from '../../core/spec/schema.ts';

export const DEFAULT_ISCSI_PORT = 3260;
const DISK_APPEARS_MS = 30_000;
const INTERFACE_APPEARS_MS = 20_000;

export interface Portal {
  address: string;
  port: number;
}

export const portalsOf = (spec: Spec): Portal[] =>
  spec.san.portals.map((p) => ({ address: p.address, port: p.port ?? DEFAULT_ISCSI_PORT }));

export const formatPortal = (portal: Portal) => `${portal.address}:${portal.port}`;

/** the CHAP secrets the spec's references point to, read by the caller (core/spec/secret.ts) */
export interface ChapSecrets {
  secret: string;
  /** mutual CHAP: the target's secret */
  targetSecret?: string;
}

// ---- the storage interface ---------------------------------------------------------------------

const IpAddress = z.object({ family: z.string(), local: z.string(), prefixlen: z.number() });
const IpInterface = z.object({
  ifname: z.string(),
  /** ether, infiniband, loopback, none, ... */
  link_type: z.string().optional(),
  operstate: z.string().optional(),
  address: z.string().optional(),
  mtu: z.number().optional(),
  addr_info: z.array(IpAddress).default([]),
});
export type IpInterface = z.infer<typeof IpInterface>;

/** `ip -j addr show` → interfaces; an interface that does not exist yet is an empty list */
export function parseIpAddr(output: string): IpInterface[] {
  if (output.trim() === '') return [];
  const parsed = z.array(IpInterface).safeParse(JSON.parse(output));
  if (!parsed.success)
    throw new Error(`ip -j printed what this version does not understand: ${output.slice(0, 200)}`);
  return parsed.data;
}

export const ipv4Of = (iface: IpInterface) =>
  iface.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);

const ipAddrShow = (sif: string): Command => ({
  tool: 'ip',
  args: ['-j', 'addr', 'show', 'dev', sif],
  // 1: "Device does not exist"
  allowExitCodes: [1],
});

/**
 * The installer's own address on a static fabric: the last host of the fabric network, which the
 * blades (firstHost + i, counted from the start) do not reach in any cluster that fits.
 */
export function installerFabricAddress(spec: { fabric: SifFabric }): string | undefined {
  const net = fabricNetwork(spec);
  return net && `${formatIpv4(broadcast(net) - 1)}/${net.prefix}`;
}

/** what bringing sif up reads of the spec: the fabric section, as the screens have it too */
export type SifFabric = Pick<Spec['fabric'], 'sif' | 'modules'> &
  Partial<Pick<Spec['fabric'], 'cidr' | 'mtu'>>;

export interface SifOptions {
  spec: { fabric: SifFabric };
  runner: Runner;
  say: (line: string) => void;
  /** an address for sif (CIDR) instead of DHCP or the fabric's last host */
  address?: string;
}

/** sif up with an IPv4 address: modules loaded, link up, then the static address or DHCP */
export async function bringUpSif({ spec, runner, say, address }: SifOptions): Promise<IpInterface> {
  const sif = spec.fabric.sif;
  for (const module of spec.fabric.modules) await runner.run({ tool: 'modprobe', args: [module] });
  const deadline = Date.now() + INTERFACE_APPEARS_MS;
  let iface: IpInterface | undefined;
  for (;;) {
    iface = parseIpAddr((await runner.run(ipAddrShow(sif))).stdout)[0];
    if (iface || Date.now() > deadline) break;
    await sleep(500);
  }
  if (!iface) {
    const all = parseIpAddr((await runner.run({ tool: 'ip', args: ['-j', 'addr', 'show'] })).stdout);
    throw new UserError(
      `fabric.sif is ${sif}, but this machine has no interface ${sif} (it has: ${all.map((i) => `${i.ifname} ${i.address ?? ''}`.trim()).join(', ')})`,
      spec.fabric.modules.length > 0
        ? `check that fabric.modules (${spec.fabric.modules.join(', ')}) drive this NIC, or name the right interface in fabric.sif`
        : 'name the interface that reaches the SAN in fabric.sif, or its driver in fabric.modules',
    );
  }
  await runner.run({
    tool: 'ip',
    args: ['link', 'set', 'dev', sif, 'up', ...(spec.fabric.mtu ? ['mtu', String(spec.fabric.mtu)] : [])],
  });
  if (ipv4Of(iface).length > 0 && address === undefined) {
    say(`network: ${sif} (${iface.address}) already has ${ipv4Of(iface).join(', ')}`);
    return iface;
  }
  const fixed = address ?? installerFabricAddress(spec);
  if (fixed) {
    await runner.run({ tool: 'ip', args: ['addr', 'replace', fixed, 'dev', sif] });
    say(`network: ${sif} (${iface.address}) set to ${fixed}`);
  } else {
    say(`network: asking DHCP for an address on ${sif} (${iface.address})`);
    try {
      await runner.run({
        tool: 'dhclient',
        args: ['-1', '-4', '-pf', `/run/dhclient.${sif}.pid`, '-lf', `/run/dhclient.${sif}.leases`, sif],
        timeoutMs: 90_000,
      });
    } catch (error) {
      if (!(error instanceof CommandFailed)) throw error;
      throw new UserError(
        `no DHCP answer on ${sif} (${iface.address}) within 90 s`,
        'check the cable and the DHCP server of the storage fabric, or give fabric.cidr in the spec for static addresses',
      );
    }
  }
  const up = parseIpAddr((await runner.run(ipAddrShow(sif))).stdout)[0] ?? iface;
  if (!fixed) say(`network: ${sif} has ${ipv4Of(up).join(', ')}`);
  return up;
}

// ---- iSCSI -------------------------------------------------------------------------------------

export const INITIATOR_NAME_FILE = '/etc/iscsi/initiatorname.iscsi';
export const ISCSID_CONF = '/etc/iscsi/iscsid.conf';

/** the lines iscsidConf replaces: every auth setting, and its own heading from an earlier run */
const authKeys = /^\s*(node\.session\.auth\.|discovery\.sendtargets\.auth\.|# VirtuaLinux installer:)/;

/** iscsid.conf with this cluster's CHAP as the default of every new node record */
export function iscsidConf(
  current: string,
  user: string | undefined,
  chap: ChapSecrets | undefined,
  mutualUser?: string,
): string {
  const kept = current
    .split('\n')
    .filter((line) => !authKeys.test(line))
    .join('\n')
    .trimEnd();
  const auth =
    user && chap
      ? [
          '# VirtuaLinux installer: CHAP for the cluster SAN (san.chap in the spec)',
          'node.session.auth.authmethod = CHAP',
          `node.session.auth.username = ${user}`,
          `node.session.auth.password = ${chap.secret}`,
          ...(mutualUser && chap.targetSecret
            ? [
                `node.session.auth.username_in = ${mutualUser}`,
                `node.session.auth.password_in = ${chap.targetSecret}`,
              ]
            : []),
        ]
      : [
          '# VirtuaLinux installer: the cluster SAN takes no CHAP (no san.chap in the spec)',
          'node.session.auth.authmethod = None',
        ];
  return `${kept ? `${kept}\n\n` : ''}${auth.join('\n')}\n`;
}

const iscsiadm = (args: string[], extra: Partial<Command> = {}): Command => ({
  tool: 'iscsiadm',
  args,
  ...extra,
});

/** `iscsiadm -m discovery -t st` lines: `ADDRESS:PORT,TPGT TARGET` */
export function parseDiscovery(output: string): Array<{ portal: string; target: string }> {
  return output
    .split('\n')
    .map((line) => /^(\S+),\d+\s+(\S+)/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ portal: m[1] ?? '', target: m[2] ?? '' }));
}

/** `iscsiadm -m session` lines: `tcp: [1] 10.0.2.2:3260,1 iqn... (non-flash)` */
export function parseSessions(output: string): Array<{ portal: string; target: string }> {
  return output
    .split('\n')
    .map((line) => /^\S+: \[\d+\] (\S+),\d+ (\S+)/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ portal: m[1] ?? '', target: m[2] ?? '' }));
}

/** the udev name of a LUN reached through a portal: stable, unlike sdX */
export const byPathName = (portal: Portal, target: string, lun: number) =>
  `/dev/disk/by-path/ip-${formatPortal(portal)}-iscsi-${target}-lun-${lun}`;

// iscsiadm's exit codes (open-iscsi include/iscsi_err.h)
const ISCSI_ERR_TRANS = 4;
const ISCSI_ERR_LOGIN = 5;
const ISCSI_ERR_TRANS_TIMEOUT = 8;
/** a connection that opened but never answered: QEMU's user networking accepts for a closed port */
const ISCSI_ERR_PDU_TIMEOUT = 11;
const ISCSI_ERR_NO_OBJS_FOUND = 21;
const ISCSI_ERR_LOGIN_AUTH_FAILED = 24;
const ISCSI_ERR_SESS_EXISTS = 15;

const exitCodeOf = (error: unknown) =>
  error instanceof CommandFailed && error.ending.kind === 'exit' ? error.ending.exitCode : undefined;

export interface SanSession {
  portal: Portal;
  target: string;
  /** the LUN's device node (/dev/sdb) */
  device: string;
  /** the stable name it was found by */
  byPath: string;
  initiator: string;
  /**
   * whether this run logged in: a session it found open (an install killed in this boot left its
   * volumes active on it; a blade's root is on it) is not this run's to end
   */
  opened: boolean;
}

export interface ConnectOptions {
  spec: Spec;
  runner: Runner;
  say: (line: string) => void;
  chap?: ChapSecrets;
  /** stands in for / (tests) */
  root?: string;
}

export interface InitiatorSetup {
  /** the initiator name to write; absent: the machine keeps its own */
  initiator?: string;
  chapUser?: string;
  chap?: ChapSecrets;
  mutualUser?: string;
  /** stands in for / (tests) */
  root?: string;
}

/** writes the initiator name and CHAP defaults, restarts iscsid to read them */
export async function configureInitiator(setup: InitiatorSetup, runner: Runner): Promise<void> {
  const root = setup.root ?? '/';
  if (setup.initiator !== undefined) {
    const nameFile = join(root, INITIATOR_NAME_FILE);
    mkdirSync(dirname(nameFile), { recursive: true });
    writeFileSync(nameFile, `InitiatorName=${setup.initiator}\n`);
  }
  const confFile = join(root, ISCSID_CONF);
  mkdirSync(dirname(confFile), { recursive: true });
  const current = existsSync(confFile) ? readFileSync(confFile, 'utf8') : '';
  writeFileSync(confFile, iscsidConf(current, setup.chapUser, setup.chap, setup.mutualUser), {
    mode: 0o600,
  });
  chmodSync(confFile, 0o600);
  await runner.run({ tool: 'systemctl', args: ['restart', 'iscsid.service'], timeoutMs: 60_000 });
}

/** the initiator name iscsid uses, from its file; undefined before one is made (GenerateName=yes) */
export function initiatorNameOf(root = '/'): string | undefined {
  const file = join(root, INITIATOR_NAME_FILE);
  if (!existsSync(file)) return undefined;
  return /^InitiatorName=(\S+)/m.exec(readFileSync(file, 'utf8'))?.[1];
}

/** what SendTargets discovery on a portal found, or why it found nothing */
export interface TargetsOffered {
  /** the portal answered on the iSCSI port (it may still have refused) */
  answered: boolean;
  found: Array<{ portal: string; target: string }>;
  problem?: string;
}

export async function sendTargets(portal: Portal, runner: Runner): Promise<TargetsOffered> {
  try {
    const result = await runner.run(
      iscsiadm(['-m', 'discovery', '-t', 'sendtargets', '-p', formatPortal(portal)], { timeoutMs: 60_000 }),
    );
    return { answered: true, found: parseDiscovery(result.stdout) };
  } catch (error) {
    if (!(error instanceof CommandFailed)) throw error;
    const code = error.ending.kind === 'timeout' ? 'timeout' : exitCodeOf(error);
    return {
      answered: !NO_ANSWER.includes(code),
      found: [],
      problem: discoveryProblem(code, error.message),
    };
  }
}

async function discover(portal: Portal, target: string, runner: Runner): Promise<string | undefined> {
  const { found, problem } = await sendTargets(portal, runner);
  if (problem) return problem;
  if (found.some((f) => f.target === target)) return undefined;
  return `answers, but does not offer target ${target}${found.length > 0 ? ` (it offers: ${[...new Set(found.map((f) => f.target))].join(', ')})` : ' (it offers none to this initiator)'}`;
}

/** iscsiadm's endings that mean nobody answered on the portal */
const NO_ANSWER: Array<number | 'timeout' | undefined> = [
  ISCSI_ERR_TRANS,
  ISCSI_ERR_LOGIN,
  ISCSI_ERR_TRANS_TIMEOUT,
  ISCSI_ERR_PDU_TIMEOUT,
  'timeout',
];

/** why SendTargets discovery on a portal failed, in words, from iscsiadm's exit code */
export function discoveryProblem(code: number | 'timeout' | undefined, message: string): string {
  if (code === ISCSI_ERR_LOGIN_AUTH_FAILED) return 'refused discovery (authentication)';
  if (NO_ANSWER.includes(code)) return 'does not answer (connection refused or timed out)';
  return `discovery failed: ${message.split('\n')[0]}`;
}

/** the sessions this machine has open: portal and target */
export async function iscsiSessions(runner: Runner): Promise<Array<{ portal: string; target: string }>> {
  const result = await runner.run(iscsiadm(['-m', 'session'], { allowExitCodes: [ISCSI_ERR_NO_OBJS_FOUND] }));
  return result.exitCode === 0 ? parseSessions(result.stdout) : [];
}

/** a login the target refused: for want of authorization, or for another reason (iscsiadm's first line) */
export type LoginRefusal = { authorization: true } | { authorization: false; reason: string };

/** a node record made afresh from iscsid.conf, then the login; a refusal is returned, not thrown */
export async function loginTarget(
  portal: Portal,
  target: string,
  transport: Spec['san']['transport'],
  runner: Runner,
): Promise<LoginRefusal | undefined> {
  const node = ['-m', 'node', '-T', target, '-p', formatPortal(portal)];
  const iface = transport === 'iser' ? ['-I', 'iser'] : [];
  // a record from an earlier run may hold older CHAP settings: it is made again from iscsid.conf
  await runner.run(iscsiadm([...node, '-o', 'delete'], { allowExitCodes: [ISCSI_ERR_NO_OBJS_FOUND] }));
  await runner.run(iscsiadm([...node, ...iface, '-o', 'new']));
  try {
    await runner.run(
      iscsiadm([...node, '--login'], { timeoutMs: 120_000, allowExitCodes: [ISCSI_ERR_SESS_EXISTS] }),
    );
    return undefined;
  } catch (error) {
    if (!(error instanceof CommandFailed)) throw error;
    if (exitCodeOf(error) === ISCSI_ERR_LOGIN_AUTH_FAILED) return { authorization: true };
    return { authorization: false, reason: error.message.split('\n')[0] ?? error.message };
  }
}

async function login(portal: Portal, spec: Spec, initiator: string, runner: Runner): Promise<void> {
  const refused = await loginTarget(portal, spec.san.target, spec.san.transport, runner);
  if (!refused) return;
  if (refused.authorization) {
    throw new UserError(
      `the SAN at ${formatPortal(portal)} refused the login to ${spec.san.target} (authorization failure)`,
      spec.san.chap
        ? `check the CHAP user (san.chap.user: ${spec.san.chap.user}) and the secret in ${spec.san.chap.secret}, and that the target lets initiator ${initiator} in`
        : `the target may want CHAP (san.chap in the spec), or may not let initiator ${initiator} in`,
    );
  }
  throw new UserError(
    `the login to ${spec.san.target} at ${formatPortal(portal)} failed: ${refused.reason}`,
    'check that the target exports the LUN and accepts this initiator',
  );
}

/** the LUNs udev shows for a target this machine is logged in to, as listed (ls sorts by name) */
export async function targetLuns(
  portal: Portal,
  target: string,
  runner: Runner,
  root = '/',
): Promise<Array<{ lun: number; byPath: string }>> {
  const prefix = byPathName(portal, target, 0).replace(/0$/, '');
  const listing = await runner.run({
    tool: 'ls',
    args: ['-1', join(root, '/dev/disk/by-path')],
    allowExitCodes: [2],
  });
  return listing.stdout
    .split('\n')
    .map((name) => `/dev/disk/by-path/${name}`)
    .filter((path) => path.startsWith(prefix) && /-lun-\d+$/.test(path))
    .map((path) => ({ lun: Number(path.slice(prefix.length)), byPath: path }));
}

/** waits for udev to name the LUN; a target without it lists the LUNs it has */
async function lunDevice(
  portal: Portal,
  spec: Spec,
  runner: Runner,
  root: string,
): Promise<SanSession['device']> {
  const byPath = byPathName(portal, spec.san.target, spec.san.lun);
  const deadline = Date.now() + DISK_APPEARS_MS;
  for (;;) {
    await runner.run({ tool: 'udevadm', args: ['settle', '--timeout=30'] });
    if (existsSync(join(root, byPath))) return realpathSync(join(root, byPath));
    if (Date.now() > deadline) break;
    await sleep(1000);
  }
  const luns = (await targetLuns(portal, spec.san.target, runner, root)).map((l) => l.lun);
  throw new UserError(
    `logged in to ${spec.san.target}, but it shows no LUN ${spec.san.lun} to this initiator${luns.length > 0 ? ` (it has LUN ${luns.join(', ')})` : ''}`,
    'set san.lun in the spec to the cluster disk, or export it on the target',
  );
}

/**
 * The session this machine already has to the spec's target through one of its portals (a running
 * blade: it holds its root), used as it is: its initiator name and iscsid.conf are the machine's
 * own, and iscsid is not restarted; nothing is written. Undefined when there is none.
 */
export async function currentSession(
  spec: Spec,
  runner: Runner,
  say: (line: string) => void,
  root = '/',
): Promise<SanSession | undefined> {
  const sessions = await iscsiSessions(runner);
  const portal = portalsOf(spec).find((p) =>
    sessions.some((s) => s.target === spec.san.target && s.portal === formatPortal(p)),
  );
  if (!portal) return undefined;
  say(`SAN: already logged in to ${spec.san.target} at ${formatPortal(portal)}: that session is used`);
  return {
    portal,
    target: spec.san.target,
    device: await lunDevice(portal, spec, runner, root),
    byPath: byPathName(portal, spec.san.target, spec.san.lun),
    initiator: initiatorNameOf(root) ?? installerInitiatorName(spec),
    opened: false,
  };
}

/** the LUN's device: through the session already open (currentSession), else a new login (loginSan) */
export async function connectSan(options: ConnectOptions): Promise<SanSession> {
  return (await currentSession(options.spec, options.runner, options.say, options.root)) ?? loginSan(options);
}

/**
 * Logs in to the spec's target and returns the LUN's device. Every portal is asked first, so that
 * an unreachable one is reported even when another answers.
 */
export async function loginSan(options: ConnectOptions): Promise<SanSession> {
  const { spec, runner, say, chap, root = '/' } = options;
  const portals = portalsOf(spec);
  const initiator = installerInitiatorName(spec);
  await configureInitiator(
    {
      initiator,
      ...(spec.san.chap && { chapUser: spec.san.chap.user }),
      ...(chap && { chap }),
      ...(spec.san.chap?.mutual && { mutualUser: spec.san.chap.mutual.user }),
      root,
    },
    runner,
  );
  const problems: string[] = [];
  let reachable: Portal | undefined;
  for (const portal of portals) {
    const problem = await discover(portal, spec.san.target, runner);
    if (problem) {
      problems.push(`${formatPortal(portal)} ${problem}`);
      say(`SAN: portal ${formatPortal(portal)} ${problem}`);
    } else {
      say(`SAN: portal ${formatPortal(portal)} offers ${spec.san.target}`);
      reachable ??= portal;
    }
  }
  if (!reachable) {
    throw new UserError(
      `no portal of the SAN offers ${spec.san.target}: ${problems.join('; ')}`,
      'check the portal addresses in san.portals, the storage network (fabric.sif), and that the target is online',
    );
  }
  say(
    `SAN: logging in to ${spec.san.target} at ${formatPortal(reachable)} as ${initiator}${spec.san.chap ? ` (CHAP user ${spec.san.chap.user})` : ''}`,
  );
  await login(reachable, spec, initiator, runner);
  const device = await lunDevice(reachable, spec, runner, root);
  return {
    portal: reachable,
    target: spec.san.target,
    device,
    byPath: byPathName(reachable, spec.san.target, spec.san.lun),
    initiator,
    opened: true,
  };
}

/** ends the session with a target through a portal; none open is no error */
export async function logoutTarget(portal: Portal, target: string, runner: Runner): Promise<void> {
  await runner.run(
    iscsiadm(['-m', 'node', '-T', target, '-p', formatPortal(portal), '--logout'], {
      allowExitCodes: [ISCSI_ERR_NO_OBJS_FOUND],
      timeoutMs: 60_000,
    }),
  );
}

/** leaves the SAN: the blades, not the installer, use the LUN from now on */
export const disconnectSan = (session: SanSession, runner: Runner) =>
  logoutTarget(session.portal, session.target, runner);
