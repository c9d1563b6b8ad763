/**
 * Test helpers for real image builds: a fresh image cache per test file, sharing the machine's
 * package downloads (~/.cache/virtualinux/apt) so that CI fetches each .deb once, not once per build;
 * or (keptCache) an image cache kept across runs for as long as nothing a build reads has changed.
 */
import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { Parser, type ReadEntry } from 'tar';
import { inputHash } from '../../../core/plan/input-hash.ts';
import { extractCommand } from '../../../images/archive.ts';
import { loadRecipe } from '../../../images/load.ts';
import { overlayEntries } from '../../../images/overlay-tree.ts';
import { cacheRoot, defaultRecipesDir } from '../../../images/paths.ts';

export const bin = new URL('../../../bin/virtualinux.js', import.meta.url).pathname;
export const EPOCH = '1764000000';
export const isRoot = process.getuid?.() === 0;
export const STACK = /^\s+at .+:\d+:\d+\)?$/m;

/** an image cache that shares the machine's package downloads (~/.cache/virtualinux/apt) */
function imageCache(cache: string) {
  const shared = join(cacheRoot(), 'apt');
  mkdirSync(shared, { recursive: true });
  if (!existsSync(join(cache, 'apt'))) symlinkSync(shared, join(cache, 'apt'));
  const env = { VIRTUALINUX_CACHE: cache, SOURCE_DATE_EPOCH: EPOCH, CI: 'true' };
  return { env, cli: (args: string[]) => execa(bin, args, { env, reject: false, stdin: 'ignore' }) };
}

export function labCache(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, ...imageCache(dir), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const repository = new URL('../../../', import.meta.url).pathname;
/** what an image build reads from this checkout: the code, its locked dependencies, recipes, overlays */
const BUILD_INPUTS = [
  'bin',
  'core',
  'images',
  'overlays',
  'package-lock.json',
  'test/integration/images/lab-cache.ts',
];

/** the host's programs that make an image's bytes: a new version may make other bytes */
const HOST_PACKAGES = ['mmdebstrap', 'apt', 'dpkg', 'tar', 'zstd'];

const treeOrFile = (path: string) =>
  statSync(path).isDirectory()
    ? overlayEntries(path)
    : createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * The image cache of one image's build tests, kept across runs in
 * ~/.cache/virtualinux/test-images/NAME-KEY. KEY fingerprints everything the build reads: this
 * checkout's build inputs (SOURCE_DATE_EPOCH is set in this file), the mirror's InRelease for the
 * recipe's release (a point release changes what mmdebstrap installs) and the versions of the host
 * packages that build and pack it (an upgraded tar or zstd may pack other bytes). A second run of the same
 * commit tests the image the first one built, and its --force build must still be byte-identical
 * to it; any change builds anew, and the older keys of NAME are removed. `dir` is the test's own
 * work (unpacked trees), removed by cleanup; the kept cache is not.
 */
export async function keptCache(name: string, prefix: string) {
  const recipe = loadRecipe(defaultRecipesDir, name);
  let inRelease: string | null = null;
  if (recipe.builder === 'mmdebstrap') {
    const url = `${recipe.mirror.replace(/\/+$/, '')}/dists/${recipe.release}/InRelease`;
    const answer = await fetch(url, { signal: AbortSignal.timeout(60_000) });
    if (!answer.ok) throw new Error(`${url}: ${answer.status} ${answer.statusText}`);
    inRelease = createHash('sha256')
      .update(await answer.text())
      .digest('hex');
  }
  const code = BUILD_INPUTS.map((input) => [input, treeOrFile(join(repository, input))]);
  // dpkg-query exits 1 when one of them is not installed, and still prints the others
  const host = await execa('dpkg-query', ['--show', ...HOST_PACKAGES], { reject: false, stdin: 'ignore' });
  const key = inputHash({ name, code, inRelease, host: host.stdout }).slice(7, 23);
  const root = join(cacheRoot(), 'test-images');
  const cache = join(root, `${name}-${key}`);
  mkdirSync(cache, { recursive: true });
  for (const entry of readdirSync(root))
    if (entry.startsWith(`${name}-`) && entry !== `${name}-${key}`)
      rmSync(join(root, entry), { recursive: true, force: true });
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cache, ...imageCache(cache), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export interface ArchiveEntry {
  path: string;
  uid: number;
  gid: number;
  mtime: number;
  mode: number;
  type: string;
}

/** every entry header of a .tar.zst, in archive order (read with the tar package, after zstd -d) */
export async function archiveEntries(archive: string): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      entries.push({
        path: entry.path,
        uid: entry.uid ?? -1,
        gid: entry.gid ?? -1,
        mtime: Math.floor((entry.mtime?.getTime() ?? 0) / 1000),
        mode: entry.mode ?? 0,
        type: entry.type,
      });
      entry.resume();
    },
  });
  const zstd = execa('zstd', ['-dc', archive], { buffer: false, stdin: 'ignore' });
  await Promise.all([pipeline(zstd.stdout, parser), zstd]);
  return entries;
}

/** unpacks an archive as root does when it writes a golden volume: owners, modes, xattrs kept */
export async function unpack(archive: string, into: string): Promise<void> {
  mkdirSync(into, { recursive: true });
  const command = extractCommand(archive, into);
  await execa(command.tool, command.args);
}

/** a loopback port nothing listens on (found by listening, then closing) */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as import('node:net').AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
