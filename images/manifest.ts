/**
 * manifest.json beside each archive: what the image is (os-release, packages with versions), what
 * it was built from (recipe hash, mirror, SOURCE_DATE_EPOCH) and what came out (sizes, sha256).
 * The DVD pipeline and the installer read it; `image list` shows it.
 */
import { existsSync, lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import { z } from 'zod';
import type { Runner } from '../core/exec/runner.ts';

export const MANIFEST_NAME = 'manifest.json';
/** bumped when the archive layout, the build steps or the manifest change: older cache entries are rebuilt */
export const IMAGE_FORMAT = 2;

export const PackageEntry = z.object({ name: z.string(), version: z.string(), arch: z.string() });
export type PackageEntry = z.infer<typeof PackageEntry>;

export const Manifest = z.object({
  format: z.literal(IMAGE_FORMAT),
  name: z.string(),
  description: z.string(),
  builder: z.enum(['mmdebstrap', 'dnf', 'import']),
  /** sha256 of the cache key's inputs: recipe, overlays, mirror, SOURCE_DATE_EPOCH if set */
  key: z.string(),
  recipeSha256: z.string(),
  mirror: z.string().optional(),
  osRelease: z.record(z.string(), z.string()),
  distribution: z.string(),
  release: z.string(),
  packages: z.array(PackageEntry),
  archive: z.object({
    file: z.string(),
    bytes: z.number().int(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    compression: z.literal('zstd'),
  }),
  unpackedBytes: z.number().int(),
  sourceDateEpoch: z.number().int(),
  /** when and how long: in the image cache only, not on the DVD (iso/dvd.ts mediumManifest) */
  builtAt: z.iso.datetime().optional(),
  buildSeconds: z.number().optional(),
});
export type Manifest = z.infer<typeof Manifest>;

/** os-release(5): KEY=value lines, values optionally quoted */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match?.[1] || match[2] === undefined) continue;
    let value = match[2];
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted?.[2] !== undefined) value = quoted[2].replace(/\\(["'$`\\])/g, '$1');
    fields[match[1]] = value;
  }
  return fields;
}

/** follows symlinks as the image would see them: absolute targets are inside rootfs, not on the host */
export function resolveInRoot(rootfs: string, path: string, hops = 0): string {
  if (hops > 40) throw new Error(`too many symlinks at ${path} in ${rootfs}`);
  const full = join(rootfs, path);
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(full);
  } catch {
    return full;
  }
  if (!stat.isSymbolicLink()) return full;
  const target = readlinkSync(full);
  const next = target.startsWith('/') ? target : posix.join(posix.dirname(path), target);
  return resolveInRoot(rootfs, posix.normalize(next), hops + 1);
}

/** /etc/os-release, else /usr/lib/os-release, of the image; empty when it has neither */
export function readOsRelease(rootfs: string): Record<string, string> {
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      return parseOsRelease(readFileSync(resolveInRoot(rootfs, path), 'utf8'));
    } catch {
      // try the next one
    }
  }
  return {};
}

/** the image's packages, sorted, from whichever package database it has (dpkg, rpm, apk) */
export async function listPackages(rootfs: string, runner: Runner): Promise<PackageEntry[]> {
  const exists = (path: string) => existsSync(resolveInRoot(rootfs, path));
  if (exists('/var/lib/dpkg/status')) {
    const { stdout } = await runner.run({
      tool: 'dpkg-query',
      args: [
        `--admindir=${resolveInRoot(rootfs, '/var/lib/dpkg')}`,
        '--show',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} syntax
        '--showformat=${Package}\t${Version}\t${Architecture}\n',
      ],
    });
    return parsePackageList(stdout);
  }
  if (exists('/var/lib/rpm') || exists('/usr/lib/sysimage/rpm')) {
    const { stdout } = await runner.run({
      tool: 'rpm',
      args: [
        `--root=${rootfs}`,
        '--query',
        '--all',
        '--queryformat=%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{ARCH}\n',
      ],
    });
    return parsePackageList(stdout);
  }
  if (exists('/lib/apk/db/installed')) {
    return parseApkInstalled(readFileSync(resolveInRoot(rootfs, '/lib/apk/db/installed'), 'utf8'));
  }
  return [];
}

export function parsePackageList(text: string): PackageEntry[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name = '', version = '', arch = ''] = line.split('\t');
      return { name, version, arch };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.arch < b.arch ? -1 : 1));
}

/** Alpine's apk database: P: name, V: version, A: arch, one blank-line-separated block per package */
export function parseApkInstalled(text: string): PackageEntry[] {
  return text
    .split(/\n\n+/)
    .map((block) => {
      const field = (key: string) => new RegExp(`^${key}:(.*)$`, 'm').exec(block)?.[1] ?? '';
      return { name: field('P'), version: field('V'), arch: field('A') };
    })
    .filter((entry) => entry.name !== '')
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
