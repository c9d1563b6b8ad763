/**
 * Building an image: recipe → builder → scrub → overlays → (initramfs) → archive → manifest,
 * cached under <cache>/images/NAME/KEY where KEY fingerprints every input. A build works in
 * KEY.partial with a journal, so an interrupted build resumes at the step it stopped in; the
 * finished directory appears by one rename, so a cache entry is always whole.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.ts';
import type { Command } from '../core/exec/command.ts';
import { type EventSink, type ExecEvent, ignoreEvents } from '../core/exec/events.ts';
import type { Runner } from '../core/exec/runner.ts';
import { takeLock } from '../core/pid-lock.ts';
import { applyPlan } from '../core/plan/apply.ts';
import type { PlanEvent } from '../core/plan/events.ts';
import { inputHash } from '../core/plan/input-hash.ts';
import { Journal } from '../core/plan/journal.ts';
import type { Action, Plan } from '../core/plan/plan.ts';
import { ARCHIVE_NAME, archiveCommand } from './archive.ts';
import type { BuildContext } from './builders/context.ts';
import { dnfCommand, repoUrl } from './builders/dnf.ts';
import { importCommand } from './builders/import.ts';
import { mmdebstrapCommand } from './builders/mmdebstrap.ts';
import { download, MIRROR_TIMEOUT_MS, probeMirror, sha256File } from './fetch.ts';
import { fieldLocation, loadRecipe, recipeFile } from './load.ts';
import { IMAGE_FORMAT, listPackages, MANIFEST_NAME, Manifest, readOsRelease } from './manifest.ts';
import { overlayDir, overlayEntries } from './overlay-tree.ts';
import type { Recipe } from './recipe.ts';

const scrubScript = fileURLToPath(new URL('scrub.sh', import.meta.url));

export interface ImageOptions {
  recipesDir: string;
  overlaysDir: string;
  cacheDir: string;
  /** replaces the recipe's mirror (mmdebstrap and dnf recipes) */
  mirror?: string;
  /** from the environment; when absent, builds are stamped with the build's own time */
  sourceDateEpoch?: number;
  mirrorTimeoutMs?: number;
}

export type ImageEvent = ExecEvent | PlanEvent;

export interface ImageStatus {
  name: string;
  recipe: Recipe;
  /**
   * fingerprint of the inputs (recipe, overlays, mirror, scrub script, image format), 16 hex digits:
   * the cache directory's name. SOURCE_DATE_EPOCH is not part of it: the manifest records it.
   */
  key: string;
  dir: string;
  archive: string;
  cached: boolean;
  manifest?: Manifest;
}

/** the environment's SOURCE_DATE_EPOCH, checked; undefined when unset */
export function sourceDateEpochFrom(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env.SOURCE_DATE_EPOCH;
  if (value === undefined || value === '') return undefined;
  if (!/^\d{1,12}$/.test(value)) {
    throw new UserError(
      `SOURCE_DATE_EPOCH=${value.slice(0, 40)} is not a time (expected seconds since 1970, e.g. $(date +%s))`,
      'unset it, or set it to a whole number of seconds',
    );
  }
  return Number(value);
}

export const effectiveMirror = (recipe: Recipe, options: ImageOptions): string | undefined =>
  recipe.builder === 'import' ? undefined : (options.mirror ?? recipe.mirror).replace(/\/+$/, '');

export function imageStatus(name: string, options: ImageOptions): ImageStatus {
  const recipe = loadRecipe(options.recipesDir, name);
  const overlays = Object.fromEntries(
    recipe.overlays.map((overlay) => [overlay, overlayEntries(overlayDir(options.overlaysDir, overlay))]),
  );
  const key = inputHash({
    format: IMAGE_FORMAT,
    recipe,
    overlays,
    mirror: effectiveMirror(recipe, options) ?? null,
    scrub: createHash('sha256').update(readFileSync(scrubScript)).digest('hex'),
  })
    .replace(/^sha256:/, '')
    .slice(0, 16);
  const dir = join(options.cacheDir, 'images', name, key);
  const archive = join(dir, ARCHIVE_NAME);
  const manifest = readCachedManifest(dir);
  // a build stamped with another SOURCE_DATE_EPOCH than the one asked for is not the same image
  const cached =
    manifest !== undefined &&
    (options.sourceDateEpoch === undefined || manifest.sourceDateEpoch === options.sourceDateEpoch);
  return { name, recipe, key, dir, archive, cached, ...(manifest && { manifest }) };
}

/** the manifest of a whole cache entry: parsed, and its archive present with the recorded size */
function readCachedManifest(dir: string): Manifest | undefined {
  try {
    const manifest = Manifest.parse(JSON.parse(readFileSync(join(dir, MANIFEST_NAME), 'utf8')));
    return statSync(join(dir, manifest.archive.file)).size === manifest.archive.bytes ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** builds of an image kept beside the current one, newest first */
const KEEP_OTHER_BUILDS = 2;
const rmTree = (path: string): Command => ({ tool: 'rm', args: ['-rf', '--one-file-system', path] });
const unmountScript = fileURLToPath(new URL('unmount-under.sh', import.meta.url));
/** what an interrupted builder left mounted in its root filesystem goes first */
const unmountUnder = (path: string): Command => ({ tool: 'sh', args: [unmountScript, path] });

/** the builder's own checks before anything is fetched or written */
async function preflight(recipe: Recipe, mirror: string | undefined, options: ImageOptions): Promise<void> {
  const timeoutMs = options.mirrorTimeoutMs ?? MIRROR_TIMEOUT_MS;
  if (recipe.builder === 'mmdebstrap' && mirror) {
    if (!existsSync(recipe.keyring)) {
      throw new UserError(
        `the keyring ${recipe.keyring} of image ${recipe.name} is not on this machine`,
        `it comes with the package ${recipe.keyringPackage}: apt-get install ${recipe.keyringPackage}` +
          (recipe.keyringPackage === 'ubuntu-keyring'
            ? ' (Debian 12 does not carry it; take the .deb from an Ubuntu mirror, pool/main/u/ubuntu-keyring/)'
            : ''),
      );
    }
    await probeMirror(mirror, `${mirror}/dists/${recipe.release}/InRelease`, { timeoutMs });
  }
  if (recipe.builder === 'dnf' && mirror) {
    const first = recipe.repos[0] ?? 'BaseOS';
    await probeMirror(mirror, `${repoUrl(mirror, recipe.release, first)}repodata/repomd.xml`, { timeoutMs });
  }
}

/** an import recipe's tarball: its path, or its download kept by checksum; verified either way */
async function importedTarball(
  recipe: Extract<Recipe, { builder: 'import' }>,
  options: ImageOptions,
  events: EventSink<ImageEvent>,
): Promise<string> {
  const file = recipeFile(options.recipesDir, recipe.name);
  let tarball: string;
  if (/^https?:\/\//.test(recipe.source)) {
    const downloads = join(options.cacheDir, 'downloads');
    mkdirSync(downloads, { recursive: true });
    tarball = join(downloads, recipe.sha256);
    if (!existsSync(tarball)) {
      await download(recipe.source, tarball, {
        timeoutMs: options.mirrorTimeoutMs ?? MIRROR_TIMEOUT_MS,
        onProgress: ({ done, total }) =>
          events.emit({
            type: 'progress',
            stage: 'download',
            done,
            unit: 'bytes',
            ...(total !== undefined && { total }),
          }),
      });
    }
  } else {
    tarball = join(options.recipesDir, recipe.source);
    if (!existsSync(tarball)) {
      throw new UserError(
        `${file}: source: no file ${tarball}`,
        'a relative source is read from the recipe’s directory',
      );
    }
  }
  const actual = await sha256File(tarball);
  if (actual !== recipe.sha256) {
    if (tarball.startsWith(join(options.cacheDir, 'downloads'))) rmSync(tarball, { force: true });
    throw new UserError(
      `${fieldLocation(file, 'sha256')}: sha256: ${recipe.source} has sha256 ${actual}, the recipe expects ${recipe.sha256}`,
      'the file changed where it is published, or the recipe is wrong: compare with the checksum its publisher gives',
    );
  }
  return tarball;
}

function builderActions(recipe: Recipe, context: BuildContext, tarball: string | undefined): Action[] {
  const { rootfs } = context;
  const start = [unmountUnder(rootfs), rmTree(rootfs)];
  switch (recipe.builder) {
    case 'mmdebstrap':
      return [
        {
          id: 'bootstrap',
          description: `mmdebstrap ${recipe.release} from ${context.mirror} (${recipe.packages.length} packages)`,
          commands: [...start, mmdebstrapCommand(recipe, context)],
        },
      ];
    case 'dnf':
      return [
        {
          id: 'bootstrap',
          description: `dnf --installroot ${recipe.distribution} ${recipe.release} from ${context.mirror} (${recipe.packages.length} packages)`,
          commands: [...start, { tool: 'mkdir', args: ['-p', rootfs] }, dnfCommand(recipe, context)],
        },
      ];
    case 'import':
      return [
        {
          id: 'bootstrap',
          description: `unpack ${recipe.source}`,
          commands: [
            ...start,
            { tool: 'mkdir', args: ['-p', rootfs] },
            importCommand(tarball ?? recipe.source, rootfs),
          ],
        },
      ];
  }
}

/** the plan of one image build in `work`; pure */
export function planImage(
  recipe: Recipe,
  options: ImageOptions,
  work: string,
  context: BuildContext,
  tarball?: string,
): Plan {
  const partialArchive = join(work, `${ARCHIVE_NAME}.partial`);
  const actions: Action[] = [
    ...builderActions(recipe, context, tarball),
    {
      id: 'scrub',
      // before the overlays: what the builder left of the build host goes, what we ship stays
      description: 'remove host and machine identity, build logs and caches',
      commands: [{ tool: 'sh', args: [scrubScript, context.rootfs] }],
    },
    ...recipe.overlays.map(
      (overlay): Action => ({
        id: `overlay:${overlay}`,
        description: `overlay ${overlay}`,
        commands: [
          {
            tool: 'cp',
            args: [
              '-rT',
              '--preserve=mode',
              '--no-dereference',
              join(options.overlaysDir, overlay),
              context.rootfs,
            ],
          },
        ],
      }),
    ),
    ...(recipe.initramfs
      ? [
          {
            id: 'initramfs',
            description: 'regenerate the initramfs with the overlays’ hooks',
            commands: [
              {
                tool: 'chroot',
                args: [context.rootfs, 'update-initramfs', '-u', '-k', 'all'],
                env: { SOURCE_DATE_EPOCH: String(context.sourceDateEpoch) },
              },
            ],
          },
        ]
      : []),
    {
      id: 'archive',
      description: `archive (tar, zstd) to ${ARCHIVE_NAME}`,
      commands: [
        archiveCommand(context.rootfs, partialArchive, context.sourceDateEpoch),
        { tool: 'mv', args: [partialArchive, join(work, ARCHIVE_NAME)] },
      ],
    },
  ];
  return { title: `image ${recipe.name}`, actions };
}

export interface BuildResult {
  status: ImageStatus;
  /** false when the cache already held it */
  built: boolean;
}

export async function buildImage(
  name: string,
  options: ImageOptions & { runner: Runner; events?: EventSink<ImageEvent>; force?: boolean },
): Promise<BuildResult> {
  const { runner, events = ignoreEvents } = options;
  const status = imageStatus(name, options);
  if (status.cached && !options.force) return { status, built: false };
  const { recipe } = status;
  const mirror = effectiveMirror(recipe, options);
  const imageDir = join(options.cacheDir, 'images', name);
  const work = `${status.dir}.partial`;
  const sourceDateEpoch = options.sourceDateEpoch ?? Math.floor(Date.now() / 1000);
  const context: BuildContext = {
    rootfs: join(work, 'rootfs'),
    mirror: mirror ?? '',
    sourceDateEpoch,
    packageCache: join(options.cacheDir, recipe.builder === 'dnf' ? 'dnf' : 'apt'),
  };

  if (runner.dryRun) {
    await applyPlan(planImage(recipe, options, work, context), {
      runner,
      journal: await Journal.open('/dev/null'),
      events,
    });
    return { status, built: false };
  }
  if (process.getuid?.() !== 0) {
    throw new UserError(
      `building image ${name} needs root`,
      'the builders run as root (mmdebstrap --mode=root, chroot, dnf --installroot): run it as root',
    );
  }
  // one build of an image at a time; a lock left by a dead process is taken over
  const unlock = takeLock(join(imageDir, '.lock'), 'another build of this image');
  try {
    const started = performance.now();
    await preflight(recipe, mirror, options);
    const tarball = recipe.builder === 'import' ? await importedTarball(recipe, options, events) : undefined;
    // a build killed inside its chroot leaves /proc, /sys, /dev mounted there: we hold the lock,
    // nothing uses them now; the resumed build (or --force) starts without them
    if (existsSync(work)) await runner.run(unmountUnder(work));
    if (options.force) await runner.run(rmTree(work));
    mkdirSync(work, { recursive: true });
    mkdirSync(context.packageCache, { recursive: true });
    const journal = await Journal.open(join(work, 'journal.jsonl'));
    await applyPlan(planImage(recipe, options, work, context, tarball), { runner, journal, events });

    const osRelease = readOsRelease(context.rootfs);
    if (osRelease.ID !== recipe.distribution) {
      throw new UserError(
        `image ${name}: the recipe says distribution ${recipe.distribution}, the built system's os-release says ${osRelease.ID ?? 'nothing'}`,
        `fix distribution in ${recipeFile(options.recipesDir, name)}`,
      );
    }
    const packages = await listPackages(context.rootfs, runner);
    const du = await runner.run({
      tool: 'du',
      args: ['--summarize', '--bytes', '--one-file-system', context.rootfs],
    });
    const archive = join(work, ARCHIVE_NAME);
    const manifest: Manifest = {
      format: IMAGE_FORMAT,
      name,
      description: recipe.description,
      builder: recipe.builder,
      key: status.key,
      recipeSha256: createHash('sha256')
        .update(readFileSync(recipeFile(options.recipesDir, name)))
        .digest('hex'),
      ...(mirror && { mirror }),
      osRelease,
      distribution: recipe.distribution,
      release: recipe.release,
      packages,
      archive: {
        file: ARCHIVE_NAME,
        bytes: statSync(archive).size,
        sha256: await sha256File(archive),
        compression: 'zstd',
      },
      unpackedBytes: Number.parseInt(du.stdout, 10),
      sourceDateEpoch,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((performance.now() - started) / 100) / 10,
    };
    writeFileSync(join(work, MANIFEST_NAME), `${JSON.stringify(Manifest.parse(manifest), null, 2)}\n`);
    await runner.run(rmTree(context.rootfs));
    rmSync(join(work, 'journal.jsonl'), { force: true });
    if (existsSync(status.dir)) await runner.run(rmTree(status.dir));
    await rename(work, status.dir);
    // abandoned partial builds go; of the other builds of this image the newest stay (another
    // checkout or branch builds them too), older ones go: the cache does not grow without end
    const others = readdirSync(imageDir).filter((entry) => entry !== status.key && entry !== '.lock');
    const stale = [
      ...others.filter((entry) => entry.endsWith('.partial')),
      ...others
        .filter((entry) => !entry.endsWith('.partial'))
        .map((entry) => ({ entry, mtime: statSync(join(imageDir, entry)).mtimeMs }))
        .sort((a, b) => b.mtime - a.mtime)
        .slice(KEEP_OTHER_BUILDS)
        .map(({ entry }) => entry),
    ];
    for (const entry of stale) {
      await runner.run(unmountUnder(join(imageDir, entry)));
      await runner.run(rmTree(join(imageDir, entry)));
    }
    return { status: imageStatus(name, options), built: true };
  } finally {
    unlock();
  }
}
