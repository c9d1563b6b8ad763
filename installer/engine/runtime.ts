/**
 * The `virtualinux` command on a running blade: the DVD's Node and installer bundle, which the
 * install copies to VLBOOT (actions.ts, bootContentAction) and overlays/node's
 * /usr/local/bin/virtualinux runs from there. One copy on the LUN serves every blade, and an
 * install from a newer DVD brings the blades its installer.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { BladeRuntime } from './vlboot.ts';

/** where the DVD's live system has them (iso/dvd.ts puts them there) */
export const LIVE_RUNTIME = {
  node: '/usr/local/bin/node',
  bundle: '/opt/virtualinux/installer.mjs',
} as const;

/** this live system's runtime; undefined where the installer does not run from the DVD (a checkout) */
export function liveRuntime(): BladeRuntime | undefined {
  if (!existsSync(LIVE_RUNTIME.node) || !existsSync(LIVE_RUNTIME.bundle)) return undefined;
  const bundle = createHash('sha256').update(readFileSync(LIVE_RUNTIME.bundle)).digest('hex');
  return { ...LIVE_RUNTIME, id: `node ${statSync(LIVE_RUNTIME.node).size} bytes, installer ${bundle}` };
}
