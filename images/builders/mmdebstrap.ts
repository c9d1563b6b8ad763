/**
 * Debian and Ubuntu root filesystems with mmdebstrap (as root, into a directory). Downloaded .debs
 * are kept in the package cache and copied into the next build's chroot before apt runs, so a
 * rebuild downloads only what changed on the mirror.
 */
import type { Command } from '../../core/exec/command.ts';
import type { MmdebstrapRecipe } from '../recipe.ts';
import type { BuildContext } from './context.ts';

/** mmdebstrap runs its hooks with `sh -c`; a path inside one is quoted for that shell */
const sh = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

export function mmdebstrapCommand(recipe: MmdebstrapRecipe, context: BuildContext): Command {
  const cache = context.packageCache;
  return {
    tool: 'mmdebstrap',
    args: [
      '--mode=root',
      '--format=directory',
      '--architectures=amd64',
      `--variant=${recipe.variant}`,
      `--components=${recipe.components.join(',')}`,
      `--keyring=${recipe.keyring}`,
      `--include=${recipe.packages.join(',')}`,
      // keep the essential .debs in the chroot's archive until they are copied out
      '--skip=essential/unlink',
      // Package downloads are shared by every build on the machine, and builds may run at the same
      // time: copies in and out happen under an flock of the cache, never while another build
      // writes it (mmdebstrap's sync-in/sync-out tar the directory and fail when it changes).
      `--setup-hook=mkdir -p ${sh(cache)} "$1"/var/cache/apt/archives/ && flock ${sh(`${cache}/.lock`)} find ${sh(cache)} -maxdepth 1 -name '*.deb' -exec cp --preserve=timestamps -t "$1"/var/cache/apt/archives/ {} +`,
      `--customize-hook=flock ${sh(`${cache}/.lock`)} find "$1"/var/cache/apt/archives/ -maxdepth 1 -name '*.deb' -exec cp --preserve=timestamps --no-clobber -t ${sh(cache)} {} +`,
      recipe.release,
      context.rootfs,
      context.mirror,
    ],
    env: { SOURCE_DATE_EPOCH: String(context.sourceDateEpoch) },
  };
}
