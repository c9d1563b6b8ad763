/**
 * The volumes the install would make, before anything is observed: the engine's own targetLayout
 * of the spec and the DVD's images, as rows of volume, size and purpose, with the total against
 * the LUN's size. The VG is taken as shared (the DVD runs lvmlockd and sanlock): the leases are
 * counted, so the total is never less than the install needs.
 */
import { BOOT_LABEL } from '../../core/spec/derive.ts';
import type { Spec } from '../../core/spec/schema.ts';
import type { Manifest } from '../../images/manifest.ts';
import { type TargetVolume, targetLayout } from '../engine/layout.ts';

export interface LayoutRow {
  volume: string;
  bytes: number;
  purpose: string;
}

export type LayoutPreview =
  | { ok: true; rows: LayoutRow[]; total: number; lun?: number }
  | { ok: false; message: string };

/** several blade layers take one row: they are alike */
const GROUP_BLADES_ABOVE = 2;

function volumeRows(volumes: TargetVolume[], spec: Spec): LayoutRow[] {
  const blades = volumes.filter((v) => v.role === 'blade');
  const rows: LayoutRow[] = [];
  for (const volume of volumes) {
    if (volume.role === 'blade' && blades.length > GROUP_BLADES_ABOVE) {
      if (volume !== blades[0]) continue;
      const last = blades[blades.length - 1];
      rows.push({
        volume: `node_* (${blades.length})`,
        bytes: blades.reduce((sum, v) => sum + v.bytes, 0),
        purpose: `writable layers of ${volume.of} … ${last?.of}`,
      });
      continue;
    }
    rows.push({ volume: volume.name, bytes: volume.bytes, purpose: purposeOf(volume, spec) });
  }
  return rows;
}

function purposeOf(volume: TargetVolume, spec: Spec): string {
  switch (volume.role) {
    case 'meta':
      return 'cluster.yaml, journal, install report';
    case 'golden':
      return volume.of === spec.images.node
        ? "the blades' OS image, read-only"
        : `virtual-cluster image ${volume.of}, read-only`;
    case 'blade':
      return `writable layer of ${volume.of}`;
    case 'shared': {
      const shared = spec.storage.shared.find((s) => s.name === volume.of);
      return shared ? `shared ${shared.mount}${shared.export === 'nfs' ? ' over NFS' : ''}` : 'shared data';
    }
  }
}

export function layoutPreview(spec: Spec, images: Record<string, Manifest>): LayoutPreview {
  let layout: ReturnType<typeof targetLayout>;
  try {
    layout = targetLayout(spec, images, { sharedVg: true });
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  const rows: LayoutRow[] = [
    { volume: BOOT_LABEL, bytes: layout.need.boot, purpose: 'GRUB, kernels, boot entries per MAC' },
    ...volumeRows(layout.volumes, spec),
    ...(layout.need.locks > 0
      ? [{ volume: 'lvmlock', bytes: layout.need.locks, purpose: 'sanlock leases of the shared VG' }]
      : []),
    { volume: '(overhead)', bytes: layout.need.overhead, purpose: 'LVM metadata, GPT, alignment' },
  ];
  return {
    ok: true,
    rows,
    total: layout.need.total,
    ...(spec.san.size !== undefined && { lun: spec.san.size }),
  };
}
