/** Where the image recipes, overlays and the build cache live. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

export const defaultRecipesDir = join(packageRoot, 'images', 'recipes');
export const defaultOverlaysDir = join(packageRoot, 'overlays');

/**
 * Downloads and build results are kept outside the repository, so that a fresh clone (CI) reuses
 * them: $VIRTUALINUX_CACHE, else $XDG_CACHE_HOME/virtualinux, else ~/.cache/virtualinux.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VIRTUALINUX_CACHE) return env.VIRTUALINUX_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'virtualinux');
}
