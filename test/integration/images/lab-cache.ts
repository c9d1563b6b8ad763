/**
 * Test helpers for real image builds: a fresh image cache per test file, sharing the machine's
 * package downloads (~/.cache/virtualinux/apt) so that CI fetches each .deb once, not once per build.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { Parser, type ReadEntry } from 'tar';
import { extractCommand } from '../../../images/archive.ts';
import { cacheRoot } from '../../../images/paths.ts';

export const bin = new URL('../../../bin/virtualinux.js', import.meta.url).pathname;
export const EPOCH = '1764000000';
export const isRoot = process.getuid?.() === 0;
export const STACK = /^\s+at .+:\d+:\d+\)?$/m;

export function labCache(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const shared = join(cacheRoot(), 'apt');
  mkdirSync(shared, { recursive: true });
  symlinkSync(shared, join(dir, 'apt'));
  const env = { VIRTUALINUX_CACHE: dir, SOURCE_DATE_EPOCH: EPOCH, CI: 'true' };
  return {
    dir,
    env,
    cli: (args: string[]) => execa(bin, args, { env, reject: false, stdin: 'ignore' }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
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
