/**
 * Benchmark of the DVD build:  npm run bench:dvd [-- --reproducibility] [-- --live-build]
 *   cold       every stage and image built, in an empty cache (package downloads shared: warm)
 *   no change  the same build again: no stage runs, the ISO is not rewritten
 *   one file   one line added to overlays/live/etc/motd: the live image and what depends on it rerun
 * and the ISO's size. --reproducibility adds a second cold build in another empty cache and
 * compares the two ISOs' sha256. --live-build runs bench/live-build.sh (Debian's live-build, same
 * package set) and prints both side by side. Needs root and the Debian mirror.
 */
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { formatBytes, formatDuration } from '../core/exec/units.ts';
import { cacheRoot } from '../images/paths.ts';

const bin = new URL('../bin/virtualinux.js', import.meta.url).pathname;
const motd = new URL('../overlays/live/etc/motd', import.meta.url).pathname;
const liveBuild = new URL('live-build.sh', import.meta.url).pathname;
const args = new Set(process.argv.slice(2));

interface Run {
  ms: number;
  iso: string;
  sha256: string;
  bytes: number;
  stagesRun: number;
}

// one SOURCE_DATE_EPOCH for every build of the run: by default the DVD takes the last commit's
// time, which a commit made while the benchmark runs would change
const epoch =
  process.env.SOURCE_DATE_EPOCH ??
  (
    await execa('git', ['-C', new URL('..', import.meta.url).pathname, 'log', '-1', '--format=%ct'])
  ).stdout.trim();

function freshCache(): { dir: string; env: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), 'vl-bench-dvd-'));
  mkdirSync(join(cacheRoot(), 'apt'), { recursive: true });
  symlinkSync(join(cacheRoot(), 'apt'), join(dir, 'apt'));
  return { dir, env: { VIRTUALINUX_CACHE: dir, CI: 'true', SOURCE_DATE_EPOCH: epoch } };
}

async function build(env: Record<string, string>, out: string): Promise<Run> {
  const started = performance.now();
  const run = await execa(bin, ['dvd', 'build', '--out', out], { env, stdin: 'ignore' });
  const ms = performance.now() - started;
  const iso = /^(\S+\.iso) /.exec(run.stdout)?.[1] as string;
  const manifest = JSON.parse(readFileSync(iso.replace(/\.iso$/, '.manifest.json'), 'utf8'));
  return {
    ms,
    iso,
    sha256: manifest.iso.sha256,
    bytes: manifest.iso.bytes,
    stagesRun: (run.stderr.match(/^-> \[1\//gm) ?? []).length,
  };
}

const caches: string[] = [];
let keepCaches = false;
const rows: Array<[string, string]> = [];
const original = readFileSync(motd, 'utf8');
try {
  const first = freshCache();
  caches.push(first.dir);
  const out = join(first.dir, 'out');
  const cold = await build(first.env, out);
  rows.push(['cold build', formatDuration(cold.ms)], ['ISO size', formatBytes(cold.bytes)]);
  const again = await build(first.env, out);
  rows.push(['no-change rebuild', `${formatDuration(again.ms)} (${again.stagesRun} plans run)`]);
  appendFileSync(motd, 'bench: one changed line\n');
  const oneFile = await build(first.env, out);
  rows.push(['one overlay file changed', `${formatDuration(oneFile.ms)} (${oneFile.stagesRun} plans run)`]);
  writeFileSync(motd, original);
  console.log(JSON.stringify({ cold, again, oneFile }));

  if (args.has('--reproducibility')) {
    const second = freshCache();
    caches.push(second.dir);
    const twin = await build(second.env, join(second.dir, 'out'));
    console.log(JSON.stringify({ twin }));
    if (twin.sha256 !== cold.sha256) {
      // keep both caches: `diff -r` of the unpacked stages is how a difference is found
      keepCaches = true;
      console.error(`the two ISOs differ; both caches kept for comparison: ${caches.join(' ')}`);
    }
    rows.push([
      'second clean build: same sha256?',
      twin.sha256 === cold.sha256 ? `yes (${cold.sha256})` : `NO: ${cold.sha256} vs ${twin.sha256}`,
    ]);
  }
  if (args.has('--live-build')) {
    const lb = await execa('bash', [liveBuild], { stdin: 'ignore', stderr: 'inherit', reject: false });
    if (lb.exitCode !== 0)
      throw new Error(
        `bench/live-build.sh failed (exit ${lb.exitCode}); the rows so far: ${JSON.stringify(rows)}`,
      );
    const result = JSON.parse(lb.stdout.trim().split('\n').at(-1) ?? '{}') as {
      seconds: number;
      isoBytes: number;
    };
    rows.push(
      [
        'live-build: cold build',
        `${result.seconds} s (ours: ${(cold.ms / 1000).toFixed(1)} s, ratio ${(cold.ms / 1000 / result.seconds).toFixed(2)})`,
      ],
      [
        'live-build: ISO size',
        `${formatBytes(result.isoBytes)} (ours: ${formatBytes(cold.bytes)}, ratio ${(cold.bytes / result.isoBytes).toFixed(2)})`,
      ],
    );
  }
} finally {
  writeFileSync(motd, original);
  if (!keepCaches) for (const dir of caches) rmSync(dir, { recursive: true, force: true });
}
console.log('\n| measure | value |\n|---|---|');
for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
