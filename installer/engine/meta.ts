/**
 * What vl_meta holds after an install: the spec (defaults filled in) and the install report —
 * cluster state with no master, readable by any blade. Nothing in them varies from run to run,
 * so their hash tells whether vl_meta is up to date.
 */
import { inputHash } from '../../core/plan/input-hash.ts';
import { bootParameters, expandBlades } from '../../core/spec/derive.ts';
import type { Spec } from '../../core/spec/schema.ts';
import type { Manifest } from '../../images/manifest.ts';
import type { TargetLayout } from './layout.ts';

export interface MetaContent {
  /** file name in vl_meta → text */
  files: Record<string, string>;
  hash: string;
}

/**
 * The spec as vl_meta and VLBOOT keep it: defaults filled in, secrets only where they are (file:,
 * env:), and loadable again as a cluster.yaml (JSON is YAML): portals as written, ADDRESS:PORT
 */
export const specJson = (spec: Spec) => {
  const portals = spec.san.portals.map((p) => `${p.address}:${p.port}`);
  return `${JSON.stringify({ ...spec, san: { ...spec.san, portals } }, null, 2)}\n`;
};

/** the spec as vl_meta keeps it, and the report of what the install lays out */
export function metaContent(spec: Spec, layout: TargetLayout, images: Record<string, Manifest>): MetaContent {
  const report = {
    cluster: spec.cluster.name,
    vg: layout.vg,
    sharedVg: layout.sharedVg,
    partitions: layout.partitions.map(({ number, name, type, start, bytes }) => ({
      number,
      name,
      type: type.guid,
      start,
      ...(bytes !== undefined && { bytes }),
    })),
    volumes: layout.volumes.map(({ name, role, bytes, tags }) => ({ name, role, bytes, tags })),
    images: layout.volumes
      .filter((v) => v.role === 'golden' && v.of !== undefined)
      .map((v) => {
        const manifest = images[v.of ?? ''];
        return {
          name: v.of,
          volume: v.name,
          sha256: manifest?.archive.sha256,
          unpackedBytes: manifest?.unpackedBytes,
          os: manifest?.osRelease.PRETTY_NAME,
        };
      }),
    blades: expandBlades(spec).map((blade) => ({
      name: blade.name,
      mac: blade.mac,
      ...(blade.sifMac !== undefined && { sifMac: blade.sifMac }),
      ip: blade.ip,
      bootParameters: bootParameters(spec, blade),
    })),
  };
  // the spec holds where secrets are (file:, env:), never a secret: it is kept as written, defaults filled in
  const files = {
    'cluster.json': specJson(spec),
    'install-report.json': `${JSON.stringify(report, null, 2)}\n`,
  };
  return { files, hash: inputHash(files) };
}
