/**
 * Benchmark of the install engine in the lab:  npm run bench:install
 *   install by phase  the DVD's Unattended install of a one-blade cluster onto an empty LUN:
 *                     network, SAN login, LUN observed, plan applied (image writes, volumes,
 *                     VLBOOT, vl_meta), finish; and the slowest actions
 *   add N blades      the same cluster grown by 1, 16, then 64 blades: the install run again from
 *                     the installer's shell plans one small volume per new blade (plus VLBOOT and
 *                     vl_meta, whose blade map changes), never an image
 * Needs root, QEMU and the DVD (`npm run dvd`). Blade layers are 256 MiB here so that 82 of them
 * fit the lab's LUN; their size does not change the cost (mkfs.ext4 writes its metadata only).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fwCfgPath, SPEC_FW_CFG } from '../installer/unattended-protocol.ts';
import { labMachine } from '../lab/machines.ts';
import { actionsOf, labDown, labIn } from './lab.ts';

const example = new URL('../core/spec/example.yaml', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'vl-bench-install-'));
const dir = join(work, 'lab');
const SPEC = fwCfgPath(SPEC_FW_CFG);

const lab = labIn(dir);

/** the phase line the install prints last: "install phases: network 1.2 s, san 3.4 s, ..." */
function phasesOf(output: string): Record<string, number> {
  const line = /install phases: ([^\n]*)/.exec(output)?.[1];
  if (!line) throw new Error(`no phase line in the install's output:\n${output.slice(-2000)}`);
  return Object.fromEntries([...line.matchAll(/(\w+) ([\d.]+) s/g)].map((m) => [m[1], Number(m[2])]));
}

const rows: Array<[string, string]> = [];
const blades = (n: number) => `node[${'01'}-${String(n).padStart(2, '0')}]`;
try {
  const spec = readFileSync(example, 'utf8')
    // a port of its own: the benchmark's SAN can run beside the e2e tests' lab (3260)
    .replace('10.0.2.2:3260', '10.0.2.2:3265')
    .replace('node[01-03]', blades(1))
    .replace('bladeLayer: 2GiB', 'bladeLayer: 256MiB');
  const specFile = join(work, 'cluster.yaml');
  writeFileSync(specFile, spec);
  await lab(['up', '--spec', specFile]);
  const installed = await lab(['install', '--keep']);
  const console = readFileSync(join(dir, 'logs', 'installer.serial.log'), 'utf8');
  const phases = phasesOf(console);
  rows.push([
    'install, 1 blade: phases',
    Object.entries(phases)
      .map(([name, s]) => `${name} ${s} s`)
      .join(', '),
  ]);
  for (const action of actionsOf(console)
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, 4)) {
    rows.push([`  action: ${action.what}`, `${action.seconds.toFixed(1)} s`]);
  }
  process.stderr.write(`${installed}\n`);
  // the installer's menu is on its console after the verdict: s gives the root shell for the reruns
  const installer = labMachine(dir, 'installer');
  await installer.send('s');
  await installer.waitFor(/# $/m, 30_000);

  let total = 1;
  for (const add of [1, 16, 64]) {
    total += add;
    const grown = `/tmp/grown-${total}.yaml`;
    const output = await lab([
      'exec',
      '--timeout',
      '3600',
      'installer',
      '--',
      'sh',
      '-c',
      `sed 's/${blades(1).replace(/[[\]]/g, '\\$&')}/${blades(total)}/' ${SPEC} > ${grown} && virtualinux install --spec ${grown} --yes`,
    ]);
    const grownPhases = phasesOf(output);
    const bladeActions = actionsOf(output).filter((a) => a.what.includes("'s writable layer"));
    const perBlade = bladeActions.reduce((sum, a) => sum + a.seconds, 0) / Math.max(bladeActions.length, 1);
    rows.push([
      `add ${add} blade${add === 1 ? '' : 's'} (to ${total})`,
      `apply ${grownPhases.apply} s, whole run ${Object.values(grownPhases)
        .reduce((a, b) => a + b, 0)
        .toFixed(
          1,
        )} s; ${bladeActions.length} blade volumes, ${perBlade.toFixed(2)} s each; images written: ${/write image/.test(output) ? 'YES' : 'none'}`,
    ]);
  }
} finally {
  await labDown(dir);
  rmSync(work, { recursive: true, force: true });
}
console.log('\n| measure | value |\n|---|---|');
for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
