/**
 * Benchmark: startup to the first screen, on a real terminal (tmux), of what the DVD runs.
 *   npm run bench:tui [-- --runs N]
 * The installer is bundled as the DVD bundles it (installer/bundle.ts) and run with this host's
 * node, as the live system runs /opt/virtualinux/installer.mjs:
 *   - guided: `installer.mjs install --tui --dry-run` until the Welcome screen's [ Begin ] is drawn
 *     (Ink, React and the engine port loaded; its first look at the network started);
 *   - menu: the console menu (a Rescue boot's command line) until its prompt is drawn;
 *   - guided, unbundled: `bin/virtualinux.js install --tui --dry-run` through tsx, for comparison.
 *   - guided, cold cache: the first case with the kernel's page cache dropped before each run (the
 *     first start after a boot: node and the bundle read from disk; needs root);
 * Time from the spawn of the command in a tmux pane to the first capture-pane that shows the
 * screen, polled every 5 ms. The median of N runs (default 7), and the fastest and slowest.
 * Prints a Markdown table and one JSON line. Needs tmux.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { version } from '../core/version.ts';
import { bundleInstaller } from '../installer/bundle.ts';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 7;
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('bench:tui: --runs needs a whole number of at least 1\n');
  process.exit(2);
}

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vl-bench-tui-'));
const socket = `vl-bench-tui-${process.pid}`;
const tmux = (...argv: string[]) => execFileSync('tmux', ['-L', socket, ...argv], { encoding: 'utf8' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** ms from starting `command` in a fresh 80×24 pane until the pane shows `drawn` */
async function firstScreen(command: string, drawn: RegExp): Promise<number> {
  const started = performance.now();
  tmux('new-session', '-d', '-s', 'bench', '-x', '80', '-y', '24', '-c', root, command);
  try {
    for (;;) {
      const screen = tmux('capture-pane', '-p', '-t', 'bench');
      if (drawn.test(screen)) return performance.now() - started;
      if (performance.now() - started > 30_000)
        throw new Error(`no first screen in 30 s; the pane shows:\n${screen}`);
      await sleep(5);
    }
  } finally {
    tmux('kill-session', '-t', 'bench');
  }
}

/** the kernel's page cache emptied (root): the next start reads node and the bundle from disk */
function dropCaches(): void {
  execFileSync('sync');
  writeFileSync('/proc/sys/vm/drop_caches', '3\n');
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

try {
  // a session that outlives every run's: a tmux server whose last session is killed exits, and a
  // new-session sent while it exits fails ("server exited unexpectedly")
  tmux('new-session', '-d', '-s', 'idle', 'sleep 86400');
  const bundle = join(dir, 'installer.mjs');
  const built = await bundleInstaller(bundle, version());
  // a medium with no images: the Welcome screen reads none
  const medium = join(dir, 'medium');
  mkdirSync(join(medium, 'images'), { recursive: true });
  const machine = join(dir, 'root');
  mkdirSync(join(machine, 'proc'), { recursive: true });
  writeFileSync(join(machine, 'proc/cmdline'), 'BOOT_IMAGE=/live/vmlinuz boot=live vl.mode=rescue\n');
  // Ink draws only its last frame under CI: unset, as `install --tui` does itself
  const plain = 'env -u CI -u CONTINUOUS_INTEGRATION';
  const guided = `${plain} node ${bundle} install --tui --dry-run --medium ${medium}; sleep 60`;
  const cases: { name: string; command: string; drawn: RegExp; cold?: boolean }[] = [
    { name: 'guided installer (bundle): Welcome', command: guided, drawn: /\[ Begin \]/ },
    // the first start after boot: node and the bundle read from disk, not from the page cache
    {
      name: 'guided installer (bundle), cold cache: Welcome',
      command: guided,
      drawn: /\[ Begin \]/,
      cold: true,
    },
    {
      name: 'console menu (bundle): prompt',
      command: `${plain} node ${bundle} --root ${machine}; sleep 60`,
      drawn: /Press a key:|Type a key and Enter:/,
    },
    {
      name: 'guided installer (tsx, unbundled): Welcome',
      command: `${plain} ${join(root, 'bin/virtualinux.js')} install --tui --dry-run --medium ${medium}; sleep 60`,
      drawn: /\[ Begin \]/,
    },
  ];
  const results = [];
  for (const c of cases) {
    if (!c.cold) await firstScreen(c.command, c.drawn); // warms the page cache
    const times: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      if (c.cold) dropCaches();
      times.push(await firstScreen(c.command, c.drawn));
    }
    results.push({
      case: c.name,
      runs,
      medianMs: Math.round(median(times)),
      minMs: Math.round(Math.min(...times)),
      maxMs: Math.round(Math.max(...times)),
    });
  }
  const node = execFileSync('node', ['--version'], { encoding: 'utf8' }).trim();
  process.stdout.write(
    `Startup to the first screen, 80×24 tmux pane, node ${node}, bundle ${built.bytes} bytes\n\n`,
  );
  process.stdout.write('| case | median ms | fastest | slowest |\n|---|---|---|---|\n');
  for (const r of results) process.stdout.write(`| ${r.case} | ${r.medianMs} | ${r.minMs} | ${r.maxMs} |\n`);
  process.stdout.write(`\n${JSON.stringify({ bench: 'tui', node, bundleBytes: built.bytes, results })}\n`);
} finally {
  try {
    execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  } catch {
    // every session is gone already
  }
  rmSync(dir, { recursive: true, force: true });
}
