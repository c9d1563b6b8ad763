/**
 * Rocky Linux / CentOS-family root filesystems with the host's dnf and --installroot: only the
 * recipe's repositories (host repositories ignored), their GPG key checked, downloads kept in the
 * package cache.
 */
import type { Command } from '../../core/exec/command.ts';
import type { DnfRecipe } from '../recipe.ts';
import type { BuildContext } from './context.ts';

export const DNF_ARCH = 'x86_64';

/** the base URL of one repository of the recipe: <mirror>/<release>/<repo>/x86_64/os */
export const repoUrl = (mirror: string, release: string, repo: string) =>
  `${mirror.replace(/\/+$/, '')}/${release}/${repo}/${DNF_ARCH}/os/`;

export const repoId = (repo: string) => repo.toLowerCase();

export function dnfCommand(recipe: DnfRecipe, context: BuildContext): Command {
  const repos = recipe.repos.flatMap((repo) => {
    const id = repoId(repo);
    return [
      `--repofrompath=${id},${repoUrl(context.mirror, recipe.release, repo)}`,
      `--setopt=${id}.gpgcheck=1`,
      `--setopt=${id}.gpgkey=${recipe.gpgKey}`,
    ];
  });
  return {
    tool: 'dnf',
    args: [
      `--installroot=${context.rootfs}`,
      `--releasever=${recipe.release}`,
      `--forcearch=${DNF_ARCH}`,
      // the host's own repositories (if any) have no business in the image
      '--setopt=reposdir=/nonexistent',
      `--setopt=cachedir=${context.packageCache}`,
      '--setopt=keepcache=True',
      '--setopt=install_weak_deps=False',
      '--setopt=tsflags=nodocs',
      ...repos,
      '--assumeyes',
      'install',
      ...recipe.packages,
    ],
    env: { SOURCE_DATE_EPOCH: String(context.sourceDateEpoch) },
  };
}
