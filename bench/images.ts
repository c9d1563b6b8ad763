/**
 * Benchmark: image builds of debian-12 (or the images named on the command line).
 *   npm run bench:images [-- NAME... [--cold-downloads]]
 * For each image: a cold build (empty image cache), then the cached no-change build (median of 5),
 * and the archive's size against the unpacked root filesystem. Package downloads come from the
 * shared ~/.cache/virtualinux/apt unless --cold-downloads starts them empty too.
 * Needs root and the Debian mirror; prints a Markdown table and one JSON line per image.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { formatBytes, formatDuration } from '../core/exec/units.ts';
import { Manifest } from '../images/manifest.ts';
import { cacheRoot } from '../images/paths.ts';

const bin = new URL('../bin/virtualinux.js', import.meta.url).pathname;
const args = process.argv.slice(2);
const coldDownloads = args.includes('--cold-downloads');
const names = args.filter((arg) => !arg.startsWith('--'));
if (names.length === 0) names.push('debian-12');

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function timed(env: Record<string, string>, argv: string[]): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const run = await execa(bin, argv, { env, stdin: 'ignore', stderr: 'inherit' });
  return { ms: performance.now() - started, stdout: run.stdout };
}

const rows: string[] = [];
for (const name of names) {
  const cache = mkdtempSync(join(tmpdir(), 'vl-bench-'));
  try {
    if (coldDownloads) mkdirSync(join(cache, 'apt'));
    else {
      mkdirSync(join(cacheRoot(), 'apt'), { recursive: true });
      symlinkSync(join(cacheRoot(), 'apt'), join(cache, 'apt'));
    }
    const env = {
      VIRTUALINUX_CACHE: cache,
      CI: 'true',
      SOURCE_DATE_EPOCH: process.env.SOURCE_DATE_EPOCH ?? '1764000000',
    };
    const cold = await timed(env, ['image', 'build', name]);
    const cached: number[] = [];
    for (let i = 0; i < 5; i += 1) cached.push((await timed(env, ['image', 'build', name])).ms);
    const archive = /: built: (\S+) /.exec(cold.stdout)?.[1];
    if (!archive) throw new Error(`no archive in: ${cold.stdout}`);
    const manifest = Manifest.parse(JSON.parse(readFileSync(join(archive, '..', 'manifest.json'), 'utf8')));
    const result = {
      image: name,
      downloads: coldDownloads ? 'cold' : 'warm',
      coldBuildMs: Math.round(cold.ms),
      cachedBuildMs: Math.round(median(cached)),
      archiveBytes: manifest.archive.bytes,
      unpackedBytes: manifest.unpackedBytes,
      ratio: Number((manifest.archive.bytes / manifest.unpackedBytes).toFixed(3)),
      packages: manifest.packages.length,
      sha256: manifest.archive.sha256,
    };
    console.log(JSON.stringify(result));
    rows.push(
      `| ${name} | ${result.downloads} | ${formatDuration(result.coldBuildMs)} | ${formatDuration(result.cachedBuildMs)} | ${formatBytes(result.archiveBytes)} | ${formatBytes(result.unpackedBytes)} | ${(result.ratio * 100).toFixed(1)}% | ${result.packages} |`,
    );
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
console.log(
  '\n| image | downloads | cold build | cached build (median of 5) | archive | unpacked | archive/unpacked | packages |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
