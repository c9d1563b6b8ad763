/**
 * Who holds a blade's layer: ext4 multi-mount protection (MMP), which every blade layer has
 * (installer/engine/commands.ts mkfsExt4 {mmp}). A running blade's kernel rewrites the layer's MMP
 * block every few seconds; e2mmpstatus watches it for a while and answers 0 (no machine holds it:
 * never mounted, cleanly unmounted, or its holder died) or 1 (a machine holds it). A blade whose
 * power was cut is therefore free again once MMP's wait shows no update. This is how a reset knows
 * that a blade is running without asking it, from any machine on the SAN.
 */
import type { Runner } from '../../core/exec/runner.ts';
import { mmpInfo, mmpStatus } from '../engine/commands.ts';
import type { LayerHolder } from './reset.ts';

export interface MmpBlock {
  nodeName?: string;
  deviceName?: string;
  /** seconds since the epoch */
  updated?: number;
  checkInterval?: number;
}

/** `e2mmpstatus -i`: "    mmp_node_name: node01" lines */
export function parseMmpInfo(text: string): MmpBlock {
  const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(.*?)\\s*$`, 'm').exec(text)?.[1];
  const number = (value: string | undefined) => (value && /^\d+$/.test(value) ? Number(value) : undefined);
  const nodeName = field('mmp_node_name');
  const deviceName = field('mmp_device_name');
  const updated = number(field('mmp_update_time'));
  const checkInterval = number(field('mmp_check_interval'));
  return {
    ...(nodeName && { nodeName }),
    ...(deviceName && { deviceName }),
    ...(updated !== undefined && { updated }),
    ...(checkInterval !== undefined && { checkInterval }),
  };
}

/** the holder of the ext4 filesystem on `device` (a block device or an image file) */
export async function layerHolder(device: string, runner: Runner): Promise<LayerHolder> {
  const status = await runner.run(mmpStatus(device));
  if (status.exitCode === 0) return { held: false };
  const block = parseMmpInfo((await runner.run(mmpInfo(device))).stdout);
  return { held: true, ...(block.nodeName && { by: block.nodeName }) };
}
