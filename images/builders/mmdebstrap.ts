/**
 * Debian and Ubuntu root filesystems with mmdebstrap (as root, into a directory). Downloaded .debs
 * are kept in the package cache and fed back into the next build through mmdebstrap's own
 * sync-in/sync-out hooks, so a rebuild downloads only what changed on the mirror.
 */

import { UserError } from '../../core/errors.ts';
import type { Command } from '../../core/exec/command.ts';
import type { MmdebstrapRecipe } from '../recipe.ts';
import type { BuildContext } from './context.ts';

/** mmdebstrap runs its hooks with `sh -c`; a path inside one is quoted for that shell */
const sh = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

export function mmdebstrapCommand(recipe: MmdebstrapRecipe, context: BuildContext): Command {
  const cache = context.packageCache;
  // special hooks (sync-in/sync-out) split their arguments at blanks
  if (/\s/.test(cache))
    throw new UserError(
      `the package cache ${cache} has a blank in its path`,
      'set VIRTUALINUX_CACHE to a path without blanks',
    );
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
      // keep the essential .debs in the chroot's archive until sync-out has copied them out
      '--skip=essential/unlink',
      `--setup-hook=mkdir -p ${sh(cache)} "$1"/var/cache/apt/archives/`,
      `--setup-hook=sync-in ${cache} /var/cache/apt/archives/`,
      `--customize-hook=sync-out /var/cache/apt/archives ${cache}`,
      recipe.release,
      context.rootfs,
      context.mirror,
    ],
    env: { SOURCE_DATE_EPOCH: String(context.sourceDateEpoch) },
  };
}
