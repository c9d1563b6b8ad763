/**
 * Benchmark of a factory reset in the lab:  npm run bench:reset [-- --runs N] [-- --copy-large]
 *   reset, image as built   `virtualinux reset --yes node01` from the installer's shell, N times:
 *                           the whole command (SAN reached, drift read, MMP watched, the new
 *                           layer made, the swap) and its two actions alone
 *   reset, image 4× larger  the same after img_node is grown to four times its size (the volume
 *                           extended, its file system resized, the new room taken by a file:
 *                           fallocate, its blocks allocated, not written; a reset reads none of
 *                           an image's blocks, written or not)
 *   re-copy                 what a reset by copying costs instead (a blade root that is a copy of
 *                           the golden image, as the original EVMS layout had): dd of img_node
 *                           onto a new volume; of the 4× image too with --copy-large (under TCG
 *                           a copy runs at a few MiB/s: 12 GiB take most of an hour)
 * A reset makes an empty layer and renames volumes: its time must not follow the image's size.
 * Needs root, QEMU and the DVD (`npm run dvd`). Its own lab (SAN on port 3266, one blade
 * installed): minutes for the install, then the measures. Under TCG every figure is an emulated
 * machine's; the ratios are what carries over to hardware.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fwCfgPath, SPEC_FW_CFG } from '../installer/unattended-protocol.ts';
import { labMachine } from '../lab/machines.ts';
import { actionsOf, labDown, labIn } from './lab.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, 'copy-large': { type: 'boolean', default: false } },
});
const runs = Number(values.runs);
const example = new URL('../core/spec/example.yaml', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'vl-bench-reset-'));
const dir = join(work, 'lab');
const SPEC = fwCfgPath(SPEC_FW_CFG);
const PORTAL = '10.0.2.2:3266';

const lab = labIn(dir);

/** a shell script on the installer, its output; it must succeed */
const onInstaller = (script: string) =>
  lab(['exec', '--timeout', '3600', 'installer', '--', 'sh', '-c', script]);

/** the seconds a script takes on the installer, by its own clock (the serial console's echo left out) */
async function timed(script: string): Promise<{ seconds: number; output: string }> {
  const output = await onInstaller(
    `s=$(date +%s.%N); ${script}; e=$(date +%s.%N); awk "BEGIN { print \\"elapsed\\", $e - $s }"`,
  );
  const seconds = Number(/^elapsed ([\d.]+)$/m.exec(output)?.[1]);
  if (!Number.isFinite(seconds)) throw new Error(`no elapsed time in:\n${output.slice(-2000)}`);
  return { seconds, output };
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
const GiB = 2 ** 30;

/** the session to the SAN, for the commands the benchmark runs itself (the resets use it too) */
const LOGIN = `iscsiadm -m session 2>/dev/null | grep -q ${PORTAL} || iscsiadm -m node -p ${PORTAL} --login >/dev/null; udevadm settle`;

async function imageBytes(): Promise<number> {
  const out = await onInstaller(`${LOGIN}; lvs --noheadings --units b --nosuffix -o lv_size vl_lab/img_node`);
  return Number(/(\d+)\s*$/.exec(out.trim())?.[1]);
}

async function measure(label: string, rows: Array<[string, string]>, copying: boolean) {
  const bytes = await imageBytes();
  const whole: number[] = [];
  const actions: number[] = [];
  for (let run = 0; run < runs; run++) {
    const { seconds, output } = await timed(
      `virtualinux reset --spec ${SPEC} --yes node01 >/tmp/reset.out 2>&1; cat /tmp/reset.out`,
    );
    if (!/node01 reset to factory state/.test(output))
      throw new Error(`the reset failed:\n${output.slice(-3000)}`);
    whole.push(seconds);
    actions.push(actionsOf(output).reduce((sum, action) => sum + action.seconds, 0));
  }
  rows.push(
    [`${label}: img_node`, `${(bytes / GiB).toFixed(2)} GiB`],
    [
      `${label}: reset, whole command (${runs} runs)`,
      `median ${median(whole).toFixed(1)} s (${range(whole)})`,
    ],
    [`${label}: reset, its actions`, `median ${median(actions).toFixed(1)} s (${range(actions)})`],
  );
  if (!copying) return median(whole);
  // the copy a reset by re-copying would make: the whole golden volume onto a new one
  const copy = await timed(
    `${LOGIN}; lvchange -ay vl_lab/img_node && lvcreate -q -y -an -Zn -L ${bytes}b -n bench_copy vl_lab >/dev/null && lvchange -ay vl_lab/bench_copy && dd if=/dev/vl_lab/img_node of=/dev/vl_lab/bench_copy bs=4M oflag=direct status=none && lvremove -q -y vl_lab/bench_copy >/dev/null && lvchange -an vl_lab/img_node`,
  );
  rows.push(
    [
      `${label}: re-copy of img_node`,
      `${copy.seconds.toFixed(1)} s (${(bytes / 2 ** 20 / copy.seconds).toFixed(0)} MiB/s)`,
    ],
    [`${label}: re-copy / reset`, `${(copy.seconds / median(whole)).toFixed(1)}×`],
  );
  return median(whole);
}

const rows: Array<[string, string]> = [];
try {
  const spec = readFileSync(example, 'utf8')
    // a port of its own: the benchmark's SAN can run beside the e2e tests' lab (3260)
    .replace('10.0.2.2:3260', PORTAL)
    .replace('node[01-03]', 'node[01-01]');
  const specFile = join(work, 'cluster.yaml');
  writeFileSync(specFile, spec);
  await lab(['up', '--spec', specFile]);
  await lab(['install', '--keep']);
  // the installer's menu is on its console after the verdict: s gives the root shell
  const installer = labMachine(dir, 'installer');
  await installer.send('s');
  await installer.waitFor(/# $/m, 30_000);

  const small = await measure('as built', rows, true);
  // img_node four times larger: extended, resized, the new room taken by one file, read-only again
  const bytes = await imageBytes();
  const grow = await timed(
    `${LOGIN}; lvchange -q -ay -prw vl_lab/img_node && lvextend -q -L ${bytes * 4}b vl_lab/img_node >/dev/null && e2fsck -f -y /dev/vl_lab/img_node >/dev/null; resize2fs /dev/vl_lab/img_node >/dev/null 2>&1 && mkdir -p /mnt/img && mount /dev/vl_lab/img_node /mnt/img && fallocate -l ${Math.floor(bytes * 2.5)} /mnt/img/bench-fill && umount /mnt/img && lvchange -an vl_lab/img_node && lvchange -q -pr vl_lab/img_node`,
  );
  rows.push(['grow img_node 4× (extend, resize2fs, fallocate)', `${grow.seconds.toFixed(1)} s`]);
  const large = await measure('4× image', rows, values['copy-large']);
  rows.push(['reset time, 4× image / image as built', `${(large / small).toFixed(2)}`]);
} finally {
  await labDown(dir);
  rmSync(work, { recursive: true, force: true });
}
console.log('\n| measure | value |\n|---|---|');
for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
