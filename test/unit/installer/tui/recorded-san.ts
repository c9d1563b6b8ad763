/**
 * A fake runner, named so: the machine of the DVD and its SAN, replayed. The LUNs' observers get
 * the engine's recorded outputs (../engine/fixtures, README.md there), iscsiadm answers as it does
 * (discovery lines, sessions, exit codes of open-iscsi's iscsi_err.h), `ip -j addr` prints what it
 * printed on the build machine, and every other tool succeeds without a word. Every command is
 * kept as it was asked, secrets and all, for the tests to look for what must not be there. The
 * dry-run runner is the real one: it runs nothing anyway.
 */
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command, CommandResult } from '../../../../core/exec/command.ts';
import { commandFailed } from '../../../../core/exec/failure.ts';
import { createRunner, type Runner, type RunnerOptions } from '../../../../core/exec/runner.ts';
import { Secrets } from '../../../../core/exec/secrets.ts';
import {
  lsblkCommand,
  lvmReportCommands,
  parseSfdisk,
  parseWipefs,
  sfdiskCommand,
  wipefsCommand,
} from '../../../../installer/engine/observation.ts';
import { byPathName } from '../../../../installer/engine/san.ts';
import { exampleImages, type RecordedCase, recorded } from '../engine/fixtures/recorded.ts';

/** `ip -j addr show` on the build machine (iproute2 6.1.0, Debian 12): loopback, two ifb devices, eth0 on virtio */
export const IP_ADDR =
  '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"::1","prefixlen":128,"scope":"host","valid_life_time":4294967295,"preferred_life_time":4294967295}]},{"ifindex":2,"ifname":"ifb0","flags":["BROADCAST","NOARP"],"mtu":1500,"qdisc":"noop","operstate":"DOWN","group":"default","txqlen":32,"link_type":"ether","address":"9e:42:19:07:9a:56","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[]},{"ifindex":3,"ifname":"ifb1","flags":["BROADCAST","NOARP"],"mtu":1500,"qdisc":"noop","operstate":"DOWN","group":"default","txqlen":32,"link_type":"ether","address":"0a:f9:6a:37:6d:58","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[]},{"ifindex":4,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1400,"qdisc":"pfifo_fast","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"02:fc:00:00:00:01","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet","local":"192.0.2.2","prefixlen":24,"broadcast":"192.0.2.255","scope":"global","label":"eth0","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fd00::2","prefixlen":64,"scope":"global","nodad":true,"valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::fc:ff:fe00:1","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4294967295}]}]';

/** the example spec's SAN */
export const TARGET = 'iqn.2026-11.org.virtualinux:lab.san';
export const PORTAL = { address: '10.0.2.2', port: 3260 };

// open-iscsi's exit codes (include/iscsi_err.h)
export const ISCSI_ERR_TRANS = 4;
export const ISCSI_ERR_NO_OBJS_FOUND = 21;
export const ISCSI_ERR_LOGIN_AUTH_FAILED = 24;

/** what one portal says to SendTargets: its lines, or iscsiadm's exit code */
export type DiscoveryAnswer = string | number;

export interface RecordedSanOptions {
  /** what each LUN of the target holds, by LUN number */
  luns: Partial<Record<number, RecordedCase>>;
  /** SendTargets, by portal as iscsiadm is given it */
  portals?: Record<string, DiscoveryAnswer>;
  /** iscsiadm --login's exit code: 24 is an authorization failure */
  loginExit?: number;
  /** the kernel command line of the DVD's boot */
  cmdline?: string;
}

const line = (command: Command) => [command.tool, ...command.args].join(' ');

/** a directory standing in for /: the DVD's images, sysfs for eth0, udev's names of the LUNs */
function machineRoot(cmdline: string): string {
  // realpath: udev's links resolve to the devices under it, as the port reads them
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'vl-engine-port-')));
  mkdirSync(join(root, 'proc'));
  writeFileSync(join(root, 'proc/cmdline'), `${cmdline}\n`);
  mkdirSync(join(root, 'sys/class/net/eth0/device'), { recursive: true });
  symlinkSync('../../../../bus/virtio/drivers/virtio_net', join(root, 'sys/class/net/eth0/device/driver'));
  const images = join(root, 'run/live/medium/images');
  mkdirSync(images, { recursive: true });
  for (const manifest of Object.values(exampleImages())) {
    writeFileSync(join(images, `${manifest.name}.manifest.json`), JSON.stringify(manifest));
  }
  mkdirSync(join(root, 'dev/disk/by-path'), { recursive: true });
  return root;
}

export class RecordedSan {
  readonly root: string;
  /** every command the installer asked to run (the dry-run ones aside), as it asked */
  readonly ran: Command[] = [];
  /** the secrets of every runner made, to see that each hides what it must */
  readonly secrets: Secrets[] = [];
  /** `portal target` of each open session */
  readonly sessions = new Set<string>();
  readonly #answers = new Map<string, CommandResult>();
  readonly #portals: Record<string, DiscoveryAnswer>;

  constructor(readonly options: RecordedSanOptions) {
    this.root = machineRoot(options.cmdline ?? 'BOOT_IMAGE=/live/vmlinuz boot=live vl.mode=install');
    this.#portals = options.portals ?? { '10.0.2.2:3260': `10.0.2.2:3260,1 ${TARGET}\n` };
    for (const [lun, which] of Object.entries(options.luns)) if (which) this.holds(Number(lun), which);
  }

  /** the device node of LUN n, as udev's by-path name resolves */
  device(lun: number): string {
    return join(this.root, 'dev', `sd${'bcdefgh'[lun - 1]}`);
  }

  /** LUN n holds a recorded LUN from now on */
  holds(lun: number, which: RecordedCase): void {
    const device = this.device(lun);
    const link = join(this.root, byPathName(PORTAL, TARGET, lun));
    writeFileSync(device, '');
    try {
      symlinkSync(`../../sd${'bcdefgh'[lun - 1]}`, link);
    } catch {
      // the link is there already: only what the LUN holds changes
    }
    const readings = recorded(which);
    const answer = (command: Command, stdout: string, exitCode = 0) =>
      this.#answers.set(line(command), { exitCode, stdout, stderr: '' });
    answer(lsblkCommand(device), readings.lsblk);
    // no partition table: sfdisk prints nothing and exits 1
    answer(sfdiskCommand(device), readings.sfdisk, readings.sfdisk.trim() === '' ? 1 : 0);
    answer(wipefsCommand(device), readings.wipefs);
    const volumes: string[] = [];
    for (const partition of parseSfdisk(readings.sfdisk)?.partitions ?? []) {
      const text = readings.partitionWipefs?.[partition.number] ?? '';
      answer(wipefsCommand(partition.device), text);
      if (parseWipefs(text).some((s) => s.type === 'LVM2_member')) volumes.push(partition.device);
    }
    if (readings.lvm && volumes.length > 0) {
      const lvm = lvmReportCommands(volumes);
      answer(lvm.vgs, readings.lvm.vgs);
      answer(lvm.lvs, readings.lvm.lvs);
    }
  }

  /** the runners of the port: this machine's, and the real dry-run one */
  makeRunner = (options: RunnerOptions): Runner => {
    const secrets = options.secrets ?? new Secrets();
    this.secrets.push(secrets);
    if (options.dryRun) return createRunner(options);
    return {
      dryRun: false,
      run: async (command) => {
        this.ran.push(command);
        const shown = secrets.show(command);
        options.events?.emit({ type: 'command-start', command: shown, pid: undefined });
        const result = this.#answer(command);
        options.events?.emit({
          type: 'command-end',
          tool: shown.tool,
          exitCode: result.exitCode,
          timedOut: false,
          durationMs: 0,
        });
        if (result.exitCode === 0 || command.allowExitCodes?.includes(result.exitCode)) return result;
        throw commandFailed(shown, { kind: 'exit', exitCode: result.exitCode }, result, secrets);
      },
    };
  };

  /** the command lines run, in order, as a shell would show them */
  lines(): string[] {
    return this.ran.map(line);
  }

  #answer(command: Command): CommandResult {
    const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
    const args = command.args.join(' ');
    switch (command.tool) {
      case 'ip':
        if (args === '-j addr show') return ok(IP_ADDR);
        if (args.startsWith('-j addr show dev ')) {
          const name = command.args.at(-1);
          const all = JSON.parse(IP_ADDR) as Array<{ ifname: string }>;
          return ok(JSON.stringify(all.filter((i) => i.ifname === name)));
        }
        return ok();
      case 'iscsiadm':
        return this.#iscsiadm(command.args);
      case 'ls':
        return ok(readdirSync(command.args.at(-1) ?? '').join('\n'));
      default:
        return this.#answers.get(line(command)) ?? ok();
    }
  }

  #iscsiadm(args: string[]): CommandResult {
    const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' });
    const fail = (exitCode: number, stderr: string): CommandResult => ({ exitCode, stdout: '', stderr });
    const value = (flag: string) => args[args.indexOf(flag) + 1] ?? '';
    if (args[1] === 'discovery') {
      const answer = this.#portals[value('-p')] ?? ISCSI_ERR_TRANS;
      return typeof answer === 'string'
        ? ok(answer)
        : fail(answer, `iscsiadm: cannot make connection to ${value('-p')}: Connection refused`);
    }
    if (args[1] === 'session') {
      if (this.sessions.size === 0) return fail(ISCSI_ERR_NO_OBJS_FOUND, 'iscsiadm: No active sessions.');
      return ok(
        [...this.sessions].map((s, i) => `tcp: [${i + 1}] ${s.replace(' ', ',1 ')} (non-flash)`).join('\n'),
      );
    }
    const session = `${value('-p')} ${value('-T')}`;
    if (args.includes('--login')) {
      const exit = this.options.loginExit ?? 0;
      if (exit !== 0) return fail(exit, 'iscsiadm: Login failed to authenticate with target');
      this.sessions.add(session);
    }
    if (args.includes('--logout')) this.sessions.delete(session);
    return ok();
  }
}
