/**
 * `virtualinux verify`: are the golden volumes still what the DVD's images made them? Each img_<image>
 * was written by unpacking the image's archive (installer/engine: verified against its manifest's
 * sha256 first) and tagged vl.image=<that sha256>. Verifying checks, for each one, that the tag
 * names the archive on this DVD, that the archive still has its manifest's sha256, and then
 * compares every file of the archive with the volume, mounted read-only: `tar --compare` reports
 * contents, modes, owners, links and files that differ or are gone. (Files added to a golden volume
 * are not seen: a golden volume is read-only in LVM, so adding any takes an `lvchange -prw` first.)
 */
import type { Command } from '../../core/exec/command.ts';
import type { Runner } from '../../core/exec/runner.ts';
import { goldenVolume, volumeGroup } from '../../core/spec/derive.ts';
import type { Spec } from '../../core/spec/schema.ts';
import type { Manifest } from '../../images/manifest.ts';
import { imageArchive, imageTag } from '../engine/actions.ts';
import {
  activate,
  deactivate,
  lvPath,
  mkdir,
  mountReadOnly,
  umountIfMounted,
  verifySha256,
} from '../engine/commands.ts';
import type { LunObservation } from '../engine/observation.ts';
import { clusterVg } from './reset.ts';

export interface ImageDifference {
  /** as in the archive: ./etc/fstab */
  path: string;
  problem: string;
}

/** every member of the archive against the directory; exit 1 when something differs */
export const compareCommand = (archive: string, directory: string): Command => ({
  tool: 'tar',
  args: ['--compare', '--zstd', `--file=${archive}`, `--directory=${directory}`, '--numeric-owner'],
  allowExitCodes: [1],
});

/**
 * tar --compare's report: `PATH: Contents differ` (and Mode, Uid, Gid, Mod time, Size, Symlink
 * differs) on stdout; a member missing from the directory on stderr as
 * `tar: PATH: Warning: Cannot stat: No such file or directory` (or Cannot readlink, Cannot open).
 */
export function parseTarCompare(stdout: string, stderr: string): ImageDifference[] {
  const differences: ImageDifference[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^(.+?): ((?:[A-Z][a-z]+ )*(?:differs?|differ))$/.exec(line.trim());
    if (match?.[1] && match[2]) differences.push({ path: match[1], problem: match[2].toLowerCase() });
  }
  for (const line of stderr.split('\n')) {
    // tar names itself as it was started: /usr/bin/tar when the runner gives the full path
    const match = /^(?:\S*\/)?tar: (.+?): Warning: Cannot (stat|readlink|open): (.+)$/.exec(line.trim());
    if (match?.[1] && match[3]) {
      differences.push({
        path: match[1],
        problem: /No such file/.test(match[3]) ? 'missing' : `cannot ${match[2]}: ${match[3].toLowerCase()}`,
      });
    }
  }
  return differences;
}

/** runs the commands in turn; the `after` ones run whatever happened (unmount, deactivate) */
export async function runAround<T>(
  runner: Runner,
  before: Command[],
  body: () => Promise<T>,
  after: Command[],
): Promise<T> {
  try {
    for (const command of before) await runner.run(command);
    return await body();
  } finally {
    for (const command of after) await runner.run(command).catch(() => undefined);
  }
}

export type ImageVerdict =
  | { image: string; status: 'intact' }
  | { image: string; status: 'differs'; differences: ImageDifference[] }
  | { image: string; status: 'not-on-dvd' | 'other-build' | 'archive-damaged'; detail: string };

const GOLDEN = /^img_(.+)$/;

/**
 * Each golden volume of the cluster (or those of `only`) against the DVD's image: its tag, the
 * archive's sha256, then every file. `medium` is where the DVD is mounted.
 */
export async function verifyGoldenVolumes(
  spec: Spec,
  lun: LunObservation,
  manifests: Record<string, Manifest>,
  options: { runner: Runner; medium: string; workDir: string; only?: string[]; say: (line: string) => void },
): Promise<ImageVerdict[]> {
  const { runner, medium, workDir, say } = options;
  const vg = clusterVg(spec, lun);
  const golden = vg.logicalVolumes
    .map((lv) => ({ lv, image: GOLDEN.exec(lv.name)?.[1] }))
    .filter((entry): entry is { lv: typeof entry.lv; image: string } => entry.image !== undefined)
    .filter((entry) => !options.only?.length || options.only.includes(entry.image));
  const verdicts: ImageVerdict[] = [];
  for (const { lv, image } of golden) {
    const manifest = manifests[image];
    if (!manifest) {
      verdicts.push({ image, status: 'not-on-dvd', detail: `this DVD carries no image ${image}` });
      continue;
    }
    if (!lv.tags.includes(imageTag(manifest.archive.sha256))) {
      const held = lv.tags.find((tag) => tag.startsWith('vl.image='))?.slice('vl.image='.length) ?? 'none';
      verdicts.push({
        image,
        status: 'other-build',
        detail: `${lv.name} holds build ${held.slice(0, 12)}, this DVD has ${manifest.archive.sha256.slice(0, 12)}: verify it with the DVD it was installed from`,
      });
      continue;
    }
    const archive = imageArchive({ medium, workDir }, image);
    say(`${lv.name}: checking ${archive} against its manifest`);
    const sum = await runner.run({ ...verifySha256(archive, manifest.archive.sha256), allowExitCodes: [1] });
    if (sum.exitCode !== 0) {
      verdicts.push({
        image,
        status: 'archive-damaged',
        detail: `${archive} does not have its manifest's sha256: the DVD is damaged (its SHA256SUMS says which files)`,
      });
      continue;
    }
    const mountPoint = `${workDir}/verify/${image}`;
    const vgName = volumeGroup(spec);
    const volume = goldenVolume(image);
    say(`${lv.name}: comparing every file with the archive`);
    const compared = await runAround(
      runner,
      [
        mkdir(mountPoint),
        umountIfMounted(mountPoint),
        activate(vgName, volume),
        mountReadOnly(lvPath(vgName, volume), mountPoint, 'ext4'),
      ],
      () => runner.run(compareCommand(archive, mountPoint)),
      [umountIfMounted(mountPoint), deactivate(vgName, volume)],
    );
    const differences = parseTarCompare(compared.stdout, compared.stderr);
    verdicts.push(
      differences.length === 0 ? { image, status: 'intact' } : { image, status: 'differs', differences },
    );
  }
  return verdicts;
}
