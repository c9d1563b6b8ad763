/**
 * The DVD pipeline: images → live system + installer → squashfs → blade boot files → boot loaders
 * → SHA256SUMS → ISO. Each stage is cached by its inputs (stage.ts), so a build with nothing changed
 * runs no stage and does not rewrite the ISO, and a changed overlay file reruns only what depends
 * on it. Output: out/virtualinux-<version>-amd64.iso (written through a temporary name), its
 * .sha256, and a build manifest.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.ts';
import type { Command } from '../core/exec/command.ts';
import type { EventSink } from '../core/exec/events.ts';
import { ensurePackages } from '../core/exec/host-packages.ts';
import { createRunner, type Runner } from '../core/exec/runner.ts';
import { inputHash } from '../core/plan/input-hash.ts';
import { extractCommand } from '../images/archive.ts';
import { buildImage, type ImageOptions, imageStatus } from '../images/build.ts';
import { sha256File } from '../images/fetch.ts';
import type { Manifest } from '../images/manifest.ts';
import { bundleInstaller } from '../installer/bundle.ts';
import { LIVE_RUNTIME } from '../installer/engine/runtime.ts';
import { bootloaderStage } from './boot-stage.ts';
import { bootloaderBoot, bootloaderIsoFiles } from './bootloaders.ts';
import { cachedSha256, type MediumFile, sha256sums } from './checksums.ts';
import type { DvdEvent } from './events.ts';
import type { DvdProfile } from './profile.ts';
import { runStage, type StageResult } from './stage.ts';
import { VOLUME_ID, xorrisoCommand } from './xorriso.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** what the DVD build needs on the host, by Debian package */
export const DVD_HOST_PACKAGES = [
  'mmdebstrap',
  'debian-archive-keyring',
  'zstd',
  'squashfs-tools',
  'xorriso',
  'isolinux',
  'syslinux-common',
  'grub-efi-amd64-bin',
  'mtools',
  'dosfstools',
];

export interface DvdOptions {
  profile: DvdProfile;
  images: ImageOptions;
  outDir: string;
  version: string;
  runner: Runner;
  events: EventSink<DvdEvent>;
  sourceDateEpoch?: number;
}

export interface DvdResult {
  iso: string;
  sha256: string;
  bytes: number;
  /** false when nothing changed and the ISO was left as it was */
  written: boolean;
  manifest: DvdManifest;
}

export interface DvdManifest {
  version: string;
  key: string;
  sourceDateEpoch: number;
  iso: { file: string; bytes: number; sha256: string };
  stages: Array<{ name: string; key: string; cached: boolean; ms: number }>;
  images: Array<{
    name: string;
    distribution: string;
    release: string;
    sha256: string;
    bytes: number;
    packages: number;
  }>;
  leftOut: Array<{ name: string; why: string }>;
  builtAt: string;
  buildSeconds: number;
}

/** SOURCE_DATE_EPOCH, else the time of the last commit, so that a checkout builds the same DVD */
async function epochOf(options: DvdOptions, observer: Runner): Promise<number> {
  if (options.sourceDateEpoch !== undefined) return options.sourceDateEpoch;
  try {
    const { stdout } = await observer.run({
      tool: 'git',
      args: ['-C', repoRoot, 'log', '-1', '--format=%ct'],
    });
    const epoch = Number.parseInt(stdout.trim(), 10);
    if (Number.isInteger(epoch)) return epoch;
  } catch {
    // not a git checkout
  }
  throw new UserError(
    'no SOURCE_DATE_EPOCH, and no git commit to take it from',
    'set SOURCE_DATE_EPOCH (seconds since 1970)',
  );
}

/**
 * mksquashfs of the live root. SOURCE_DATE_EPOCH goes in its environment, not as -mkfs-time and
 * -all-time: mksquashfs refuses both at once, and the variable may already be set by the caller.
 * It stamps the file system with it and clamps every newer mtime to it.
 */
export function squashfsCommand(root: string, output: string, epoch: number): Command {
  return {
    tool: 'mksquashfs',
    args: [root, output, '-noappend', '-comp', 'zstd', '-b', '1M', '-no-exports', '-no-progress', '-quiet'],
    env: { SOURCE_DATE_EPOCH: String(epoch) },
  };
}

/** the kernel release of an image, from its linux-image-<release> package */
/**
 * The image's manifest as the DVD carries it: what the image is, without when and how long it was
 * built, which differ from build to build and would make two builds of the same inputs differ.
 * Written only when its text changes, through a temporary name.
 */
export function mediumManifest(manifest: Manifest, dir: string): string {
  const { builtAt: _when, buildSeconds: _took, ...content } = manifest;
  const text = `${JSON.stringify(content, null, 2)}\n`;
  const file = join(dir, `${manifest.name}.manifest.json`);
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return file;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${file}.new`, text);
  renameSync(`${file}.new`, file);
  return file;
}

export function kernelRelease(manifest: Manifest): string {
  const releases = manifest.packages
    .map((p) => /^linux-image-(\d.*)$/.exec(p.name)?.[1])
    .filter((release): release is string => release !== undefined && !release.endsWith('-dbg'));
  const release = releases.sort().at(-1);
  if (!release)
    throw new UserError(
      `image ${manifest.name} has no kernel (no linux-image-<release> package)`,
      'add linux-image-amd64 to its recipe',
    );
  return release;
}

interface BuiltImage {
  name: string;
  archive: string;
  manifest: Manifest;
}

/** an image from the cache (whatever SOURCE_DATE_EPOCH it was built with), else built now with ours */
async function image(name: string, options: DvdOptions, epoch: number): Promise<BuiltImage> {
  const { sourceDateEpoch: _ignored, ...anyEpoch } = options.images;
  let status = imageStatus(name, anyEpoch);
  if (!status.cached) {
    ({ status } = await buildImage(name, {
      ...options.images,
      sourceDateEpoch: epoch,
      runner: options.runner,
      events: options.events,
    }));
  } else options.events.emit({ type: 'note', text: `== image ${name}: cached (${status.key})` });
  if (!status.manifest) {
    if (options.runner.dryRun) throw new DryRunStop(name);
    throw new Error(`image ${name} has no manifest after its build`);
  }
  return { name, archive: status.archive, manifest: status.manifest };
}

/** a dry run cannot plan the stages that read an image it has not built */
class DryRunStop extends Error {
  constructor(readonly image: string) {
    super(`image ${image} is not built`);
  }
}

export async function buildDvd(options: DvdOptions): Promise<DvdResult | undefined> {
  try {
    return await buildDvdStages(options);
  } catch (error) {
    if (!(error instanceof DryRunStop)) throw error;
    options.events.emit({
      type: 'note',
      text: `(dry run) the stages after the images read image ${error.image}, which is not built: nothing more to show`,
    });
    return undefined;
  }
}

async function buildDvdStages(options: DvdOptions): Promise<DvdResult | undefined> {
  const started = performance.now();
  const { runner, events, profile } = options;
  const observer = runner.dryRun ? createRunner() : runner;
  await ensurePackages(DVD_HOST_PACKAGES, observer, (text) => events.emit({ type: 'note', text }));
  const epoch = await epochOf(options, observer);
  const stageRoot = join(options.images.cacheDir, 'dvd');
  const stages: StageResult[] = [];
  const leftOut: DvdManifest['leftOut'] = [];

  // images: the live system, the blades' OS, the guests
  const live = await image(profile.live, options, epoch);
  const carried: BuiltImage[] = [];
  for (const name of profile.images) carried.push(await image(name, options, epoch));
  for (const name of profile.optionalImages) {
    try {
      carried.push(await image(name, options, epoch));
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      const why = error.message.split('\n')[0] ?? error.message;
      leftOut.push({ name, why });
      events.emit({ type: 'note', text: `-- image ${name} left out: ${why}` });
    }
  }
  const node = carried.find((i) => i.name === profile.node) ?? (await image(profile.node, options, epoch));

  // the installer, bundled into one file (esbuild: in-process, quick, deterministic)
  const installerDir = join(stageRoot, 'installer');
  mkdirSync(installerDir, { recursive: true });
  const bundled = join(installerDir, 'installer.mjs.new');
  const bundle = await bundleInstaller(bundled, options.version);
  const installer = join(installerDir, `installer-${bundle.sha256.slice(0, 16)}.mjs`);
  renameSync(bundled, installer);
  for (const old of readdirSync(installerDir)) {
    if (old !== basename(installer)) rmSync(join(installerDir, old), { force: true });
  }
  const nodeBinary = process.execPath;
  const nodeSha = await sha256File(nodeBinary);

  // the live system as squashfs, with the Node runtime and the installer in it
  const release = kernelRelease(live.manifest);
  const squashfs = await runStage(
    {
      name: 'squashfs',
      inputs: {
        live: live.manifest.archive.sha256,
        installer: bundle.sha256,
        node: nodeSha,
        epoch,
        release,
        format: 2,
      },
      actions: (dir) => {
        const root = join(dir, 'root');
        return [
          {
            id: 'unpack',
            description: `unpack the live system (${live.manifest.packages.length} packages)`,
            commands: [
              { tool: 'rm', args: ['-rf', '--one-file-system', root] },
              { tool: 'mkdir', args: ['-p', root] },
              extractCommand(live.archive, root),
            ],
          },
          {
            id: 'runtime',
            description: `add Node ${process.version} and the installer`,
            commands: [
              { tool: 'install', args: ['-D', '-m', '0755', nodeBinary, join(root, LIVE_RUNTIME.node)] },
              {
                tool: 'install',
                args: ['-D', '-m', '0644', installer, join(root, LIVE_RUNTIME.bundle)],
              },
              {
                tool: 'touch',
                args: [
                  '-h',
                  `--date=@${epoch}`,
                  join(root, LIVE_RUNTIME.node),
                  join(root, LIVE_RUNTIME.bundle),
                  join(root, dirname(LIVE_RUNTIME.bundle)),
                ],
              },
            ],
          },
          {
            id: 'kernel',
            description: `take out the kernel and initramfs (${release})`,
            commands: [
              { tool: 'cp', args: [join(root, `boot/vmlinuz-${release}`), join(dir, 'vmlinuz')] },
              { tool: 'cp', args: [join(root, `boot/initrd.img-${release}`), join(dir, 'initrd.img')] },
            ],
          },
          {
            id: 'squashfs',
            description: 'squashfs (zstd) of the live system',
            commands: [
              squashfsCommand(root, join(dir, 'filesystem.squashfs'), epoch),
              { tool: 'rm', args: ['-rf', '--one-file-system', root] },
            ],
          },
        ];
      },
    },
    { root: stageRoot, runner, events },
  );
  stages.push(squashfs);

  // what blades boot from the network or the SAN: the node image's kernel and initramfs
  const bladeRelease = kernelRelease(node.manifest);
  const bladeBoot = await runStage(
    {
      name: 'blade-boot',
      inputs: { node: node.manifest.archive.sha256, release: bladeRelease },
      actions: (dir) => [
        {
          id: 'extract',
          description: `take the blades' kernel and initramfs (${bladeRelease}) out of image ${node.name}`,
          commands: [
            extractCommand(node.archive, dir, {
              members: [`./boot/vmlinuz-${bladeRelease}`, `./boot/initrd.img-${bladeRelease}`],
            }),
            { tool: 'mv', args: [join(dir, `boot/vmlinuz-${bladeRelease}`), join(dir, 'vmlinuz')] },
            { tool: 'mv', args: [join(dir, `boot/initrd.img-${bladeRelease}`), join(dir, 'initrd.img')] },
            { tool: 'rmdir', args: [join(dir, 'boot')] },
          ],
        },
      ],
    },
    { root: stageRoot, runner, events },
  );
  stages.push(bladeBoot);

  const boot = await runStage(await bootloaderStage({ version: options.version, epoch, observer }), {
    root: stageRoot,
    runner,
    events,
  });
  stages.push(boot);

  if (runner.dryRun) return undefined;

  // every file on the medium, and its checksum
  const files: MediumFile[] = [
    { to: '/live/filesystem.squashfs', from: join(squashfs.dir, 'filesystem.squashfs') },
    { to: '/live/vmlinuz', from: join(squashfs.dir, 'vmlinuz') },
    { to: '/live/initrd.img', from: join(squashfs.dir, 'initrd.img') },
    { to: '/boot/blade/vmlinuz', from: join(bladeBoot.dir, 'vmlinuz') },
    { to: '/boot/blade/initrd.img', from: join(bladeBoot.dir, 'initrd.img') },
    ...carried.flatMap((i): MediumFile[] => [
      { to: `/images/${i.name}.tar.zst`, from: i.archive, sha256: i.manifest.archive.sha256 },
      {
        to: `/images/${i.name}.manifest.json`,
        from: mediumManifest(i.manifest, join(stageRoot, 'manifests')),
      },
    ]),
    ...filesUnder(bootloaderIsoFiles(boot.dir)),
  ];
  const summed = [];
  for (const file of files)
    summed.push({
      ...file,
      sha256: file.sha256 ?? (await cachedSha256(file.from, join(stageRoot, '.sha256'))),
    });
  const sumsText = sha256sums(summed.filter((f) => !UNSUMMED.has(f.to)));
  const sumsFile = join(stageRoot, 'SHA256SUMS');
  writeFileSync(sumsFile, sumsText);

  // the ISO: rewritten only when something on it changed
  mkdirSync(options.outDir, { recursive: true });
  const name = `virtualinux-${options.version}-amd64.iso`;
  const iso = join(options.outDir, name);
  const manifestFile = `${iso.slice(0, -4)}.manifest.json`;
  const mapped = [
    ...summed,
    { to: '/SHA256SUMS', from: sumsFile, sha256: createHash('sha256').update(sumsText).digest('hex') },
  ];
  const key = inputHash({
    files: mapped.map((f) => [f.to, f.sha256]).sort(),
    epoch,
    volume: VOLUME_ID,
    format: 1,
  }).slice(7, 23);
  const previous = readManifest(manifestFile);
  const isoStage = { name: 'iso', key, dir: options.outDir, cached: false, ms: 0 };
  if (previous?.key === key && existsSync(iso) && statSync(iso).size === previous.iso.bytes) {
    events.emit({ type: 'stage', name: 'iso', state: 'cached', key });
    return {
      iso,
      sha256: previous.iso.sha256,
      bytes: previous.iso.bytes,
      written: false,
      manifest: previous,
    };
  }
  const isoStarted = performance.now();
  const partial = `${iso}.partial`;
  if (existsSync(partial)) await runner.run({ tool: 'rm', args: ['-f', partial] });
  await runner.run(
    xorrisoCommand({
      output: partial,
      volumeId: VOLUME_ID,
      files: mapped.map(({ from, to }) => ({ from, to })),
      ...bootloaderBoot(),
      sourceDateEpoch: epoch,
      applicationId: `VirtuaLinux ${options.version}`,
    }),
  );
  const sha256 = await sha256File(partial);
  const bytes = statSync(partial).size;
  renameSync(partial, iso);
  writeFileSync(`${iso}.sha256`, `${sha256}  ${name}\n`);
  isoStage.ms = Math.round(performance.now() - isoStarted);
  events.emit({ type: 'stage', name: 'iso', state: 'built', key });
  const manifest: DvdManifest = {
    version: options.version,
    key,
    sourceDateEpoch: epoch,
    iso: { file: name, bytes, sha256 },
    stages: [...stages, isoStage].map(({ name: n, key: k, cached, ms }) => ({ name: n, key: k, cached, ms })),
    images: carried.map((i) => ({
      name: i.name,
      distribution: i.manifest.distribution,
      release: i.manifest.release,
      sha256: i.manifest.archive.sha256,
      bytes: i.manifest.archive.bytes,
      packages: i.manifest.packages.length,
    })),
    leftOut,
    builtAt: new Date().toISOString(),
    buildSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  return { iso, sha256, bytes, written: true, manifest };
}

/** xorriso patches isolinux.bin (its boot info table) as it writes: the medium's copy differs */
const UNSUMMED = new Set(['/isolinux/isolinux.bin']);

/** the boot loaders' directories, as the files they hold */
function filesUnder(entries: Array<{ from: string; to: string }>): MediumFile[] {
  return entries.flatMap(({ from, to }) => {
    if (!statSync(from).isDirectory()) return [{ from, to }];
    return readdirSync(from, { recursive: true, encoding: 'utf8' })
      .filter((relative) => statSync(join(from, relative)).isFile())
      .sort()
      .map((relative) => ({ from: join(from, relative), to: `${to}/${relative}` }));
  });
}

function readManifest(file: string): DvdManifest | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DvdManifest;
  } catch {
    return undefined;
  }
}
