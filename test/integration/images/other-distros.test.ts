/**
 * Ubuntu (mmdebstrap) and Rocky (dnf) built for real — when their archive can be reached. This
 * machine reaches only Debian's: the tests then report themselves skipped, saying why. Point them at
 * a reachable copy with VIRTUALINUX_UBUNTU_MIRROR / VIRTUALINUX_ROCKY_MIRROR (passed as --mirror).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { effectiveMirror } from '../../../images/build.ts';
import { repoUrl } from '../../../images/builders/dnf.ts';
import { probeMirror } from '../../../images/fetch.ts';
import { loadRecipe } from '../../../images/load.ts';
import { Manifest } from '../../../images/manifest.ts';
import { defaultOverlaysDir, defaultRecipesDir } from '../../../images/paths.ts';
import { isRoot, labCache, STACK } from './lab-cache.ts';

const lab = labCache('vl-distros-');
afterAll(lab.cleanup);
const options = { recipesDir: defaultRecipesDir, overlaysDir: defaultOverlaysDir, cacheDir: lab.dir };

/** why this build cannot run here, or undefined when it can */
async function unavailable(name: string, mirror: string | undefined): Promise<string | undefined> {
  if (!isRoot) return 'image builds need root';
  const recipe = loadRecipe(defaultRecipesDir, name);
  const url = effectiveMirror(recipe, { ...options, ...(mirror && { mirror }) }) as string;
  if (recipe.builder === 'mmdebstrap' && !existsSync(recipe.keyring)) {
    return `the keyring ${recipe.keyring} (package ${recipe.keyringPackage}) is not on this machine`;
  }
  const probe =
    recipe.builder === 'dnf'
      ? `${repoUrl(url, recipe.release, 'BaseOS')}repodata/repomd.xml`
      : `${url}/dists/${recipe.release}/InRelease`;
  try {
    await probeMirror(url, probe, { timeoutMs: 15_000 });
    return undefined;
  } catch (error) {
    return `${(error as Error).message} (set ${name.startsWith('ubuntu') ? 'VIRTUALINUX_UBUNTU_MIRROR' : 'VIRTUALINUX_ROCKY_MIRROR'} to a reachable copy)`;
  }
}

const distros: Array<[name: string, id: string, mirror: string | undefined]> = [
  ['ubuntu-24.04', 'ubuntu', process.env.VIRTUALINUX_UBUNTU_MIRROR],
  ['rocky-9', 'rocky', process.env.VIRTUALINUX_ROCKY_MIRROR],
];

test.for(distros)(
  '%s builds from its archive and is %s',
  { timeout: 30 * 60_000 },
  async ([name, id, mirror], context) => {
    const why = await unavailable(name, mirror);
    if (why) {
      console.warn(`skipped: ${name}: ${why}`);
      context.skip(why);
    }
    const run = await lab.cli(['image', 'build', name, ...(mirror ? ['--mirror', mirror] : [])]);
    expect(run.stderr).not.toMatch(STACK);
    expect(run.exitCode, run.stderr.split('\n').slice(-15).join('\n')).toBe(0);
    const archive = /built: (\S+) /.exec(run.stdout)?.[1] as string;
    const manifest = Manifest.parse(JSON.parse(readFileSync(join(archive, '..', 'manifest.json'), 'utf8')));
    expect(manifest.osRelease.ID).toBe(id);
    expect(manifest.packages.map((p) => p.name)).toEqual(
      expect.arrayContaining(['openssh-server', 'cloud-init']),
    );
  },
);
