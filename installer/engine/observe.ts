/**
 * The observer: runs the tools that observation.ts parses, on the LUN and its partitions, and
 * returns one LunObservation. It only reads; it is given a runner that really runs (never the
 * dry-run one), so that a dry run plans from the LUN as it is.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Runner } from '../../core/exec/runner.ts';
import { isRunning } from '../../core/pid-lock.ts';
import {
  type LunObservation,
  type LunReadings,
  lsblkCommand,
  lvmReportCommands,
  parseLunObservation,
  parseSfdisk,
  parseWipefs,
  sfdiskCommand,
  wipefsCommand,
} from './observation.ts';

export async function observeLun(device: string, runner: Runner): Promise<LunObservation> {
  const read = async (command: Parameters<Runner['run']>[0]) => (await runner.run(command)).stdout;
  // the partitions' device nodes come from udev, after the kernel read the table
  await runner.run({ tool: 'udevadm', args: ['settle', '--timeout=30'] });
  const readings: LunReadings = {
    lsblk: await read(lsblkCommand(device)),
    sfdisk: await read(sfdiskCommand(device)),
    wipefs: await read(wipefsCommand(device)),
    partitionWipefs: {},
  };
  const partitions = parseSfdisk(readings.sfdisk)?.partitions ?? [];
  const physicalVolumes: string[] = [];
  for (const partition of partitions) {
    const text = await read(wipefsCommand(partition.device));
    (readings.partitionWipefs as Record<number, string>)[partition.number] = text;
    if (parseWipefs(text).some((s) => s.type === 'LVM2_member')) physicalVolumes.push(partition.device);
  }
  if (physicalVolumes.length > 0) {
    const lvm = lvmReportCommands(physicalVolumes);
    readings.lvm = { vgs: await read(lvm.vgs), lvs: await read(lvm.lvs) };
  }
  return parseLunObservation(readings);
}

const alive = (pidFile: string) => {
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isRunning(pid);
};

/**
 * A new VG can be made shared here (lvmlockd(8)): lvmlockd and sanlock run, and LVM is set to use
 * them (global/use_lvmlockd). Debian starts both daemons when lvm2-lockd and sanlock are installed,
 * but LVM uses them only once use_lvmlockd=1 and a host_id are configured.
 */
export async function sharedVgAvailable(runner: Runner, root = '/'): Promise<boolean> {
  if (!alive(`${root}/run/lvmlockd.pid`) || !alive(`${root}/run/sanlock/sanlock.pid`)) return false;
  const config = await runner.run({
    tool: 'lvmconfig',
    args: ['--typeconfig', 'full', 'global/use_lvmlockd'],
  });
  return /use_lvmlockd\s*=\s*1/.test(config.stdout);
}
