/**
 * Every value derived from a spec: blades expanded from ranges, addresses, initiator names,
 * volume names, boot parameters, the space the layout needs. Computed here, stored nowhere.
 */

import type { ProblemPath } from '../yaml/problems.ts';
import { formatIpv4, type Ipv4Network, netmask, parseCidr, parseIpv4 } from './ipv4.ts';
import { formatMac, parseMac } from './mac.ts';
import { expandNodeRange } from './node-range.ts';
import type { NodeEntry, PassiveService, Spec } from './schema.ts';

export interface Blade {
  name: string;
  /** position in the cluster, from 0, in spec order */
  index: number;
  mac: string;
  sifMac?: string;
  ip: string;
  sifIp?: string;
  /** where the blade comes from in cluster.yaml, for messages */
  source: { entry: number; offset: number };
}

/** the network of a spec that passed the schema (its CIDR is known to parse) */
function network(cidr: string): Ipv4Network {
  const parsed = parseCidr(cidr);
  if (!parsed.ok) throw new Error(`unvalidated network ${cidr}`);
  return parsed.network;
}

export const clusterNetwork = (spec: Spec) => network(spec.network.cidr);
export const fabricNetwork = (spec: Pick<Spec, 'fabric'> | { fabric: { cidr?: string } }) =>
  spec.fabric.cidr ? network(spec.fabric.cidr) : undefined;

export const clusterDomain = (spec: Spec) => spec.cluster.domain ?? `${spec.cluster.name}.cluster.internal`;

const nth = (first: string | undefined, offset: number, fallback: number) =>
  formatIpv4((first ? (parseIpv4(first) ?? 0) : fallback) + (first ? offset : 0));

function entryMac(entry: NodeEntry, offset: number): string {
  if (entry.macs) return entry.macs[offset] ?? '';
  return entry.mac ? formatMac((parseMac(entry.mac) ?? 0) + offset) : '';
}

const blades = new WeakMap<Spec, Blade[]>();

/** the blades of the cluster, ranges expanded; a spec that passed the schema always expands */
export function expandBlades(spec: Spec): Blade[] {
  const known = blades.get(spec);
  if (known) return known;
  const net = clusterNetwork(spec);
  const fabric = fabricNetwork(spec);
  const result: Blade[] = [];
  spec.nodes.forEach((entry, entryIndex) => {
    const expanded = expandNodeRange(entry.name);
    const names = expanded.ok ? expanded.names : [];
    names.forEach((name, offset) => {
      const index = result.length;
      const blade: Blade = {
        name,
        index,
        mac: entryMac(entry, offset),
        ip: nth(entry.ip, offset, net.base + spec.network.firstHost + index),
        source: { entry: entryIndex, offset },
      };
      if (entry.sifMac) blade.sifMac = formatMac((parseMac(entry.sifMac) ?? 0) + offset);
      if (fabric || entry.sifIp) {
        blade.sifIp = nth(entry.sifIp, offset, (fabric?.base ?? 0) + spec.fabric.firstHost + index);
      }
      result.push(blade);
    });
  });
  blades.set(spec, result);
  return result;
}

/** the place in cluster.yaml that gave a blade its value, e.g. nodes[0].mac */
export function bladeSourcePath(blade: Blade, field: keyof NodeEntry, spec: Spec): ProblemPath {
  const entry = spec.nodes[blade.source.entry];
  if (field === 'mac' && entry?.macs) return ['nodes', blade.source.entry, 'macs', blade.source.offset];
  if (entry && entry[field] === undefined) return ['nodes', blade.source.entry, 'name'];
  return ['nodes', blade.source.entry, field];
}

/** the VIP of a passive service: explicit, else counted down from the top of the network */
export function serviceVip(spec: Spec, service: PassiveService): string {
  const explicit = spec.network.vips[service];
  if (explicit) return explicit;
  const net = clusterNetwork(spec);
  const implicit = spec.services.passive.filter((s) => !spec.network.vips[s]);
  return formatIpv4(net.base + net.size - 2 - Math.max(0, implicit.indexOf(service)));
}

export const volumeGroup = (spec: Spec) => spec.storage.vg ?? `vl_${spec.cluster.name}`;
export const goldenVolume = (image: string) => `img_${image}`;
export const bladeVolume = (blade: Pick<Blade, 'name'>) => `node_${blade.name}`;
export const sharedVolume = (name: string) => `shared_${name}`;
export const META_VOLUME = 'vl_meta';
export const BOOT_LABEL = 'VLBOOT';

export const initiatorName = (spec: Spec, blade: Pick<Blade, 'name'>) =>
  `${spec.cluster.iqnPrefix}:${spec.cluster.name}.${blade.name}`;

/** the name the DVD's installer logs into the SAN with: the ACL lets it in beside the blades */
export const installerInitiatorName = (spec: Spec) =>
  `${spec.cluster.iqnPrefix}:${spec.cluster.name}.installer`;

/** every image the cluster carries: the node OS first, then the VC images */
export const clusterImages = (spec: Spec) => [spec.images.node, ...spec.images.vc];

export function goldenSize(spec: Spec, image: string): number {
  return spec.storage.images[image] ?? (image === spec.images.node ? 4 * 2 ** 30 : 2 * 2 ** 30);
}

/** LVM metadata area and the GPT/alignment slack at both ends of the LUN */
export const LAYOUT_OVERHEAD = 8 * 2 ** 20;

export interface LayoutNeed {
  boot: number;
  meta: number;
  images: number;
  blades: number;
  shared: number;
  overhead: number;
  total: number;
}

export function layoutNeed(spec: Spec): LayoutNeed {
  const images = clusterImages(spec).reduce((sum, image) => sum + goldenSize(spec, image), 0);
  const bladesNeed = expandBlades(spec).length * spec.storage.bladeLayer;
  const shared = spec.storage.shared.reduce((sum, volume) => sum + volume.size, 0);
  const { boot, meta } = spec.storage;
  return {
    boot,
    meta,
    images,
    blades: bladesNeed,
    shared,
    overhead: LAYOUT_OVERHEAD,
    total: boot + meta + images + bladesNeed + shared + LAYOUT_OVERHEAD,
  };
}

/** the kernel command line parameters of ARCHITECTURE §4; no secret ever goes here */
export function bootParameters(spec: Spec, blade: Blade): string[] {
  const params = [
    `storage_ip=${spec.san.portals.map((p) => p.address).join(',')}`,
    `storage_port=${spec.san.portals[0]?.port ?? 3260}`,
    `sif=${spec.fabric.sif}`,
  ];
  const fabric = fabricNetwork(spec);
  if (blade.sifIp) params.push(`sifip=${blade.sifIp}`, `sifnm=${fabric ? netmask(fabric) : '255.255.255.0'}`);
  if (spec.fabric.modules.length > 0) params.push(`sifm=${spec.fabric.modules.join(',')}`);
  params.push(
    `ivid=${spec.san.target}`,
    `root=vl:${volumeGroup(spec)}/${goldenVolume(spec.images.node)}+${bladeVolume(blade)}`,
    `vl.node=${blade.name}`,
    `vl.transport=${spec.san.transport}`,
  );
  return params;
}
