/**
 * What VLBOOT tells a blade that SAN-boots (ARCHITECTURE §4): the GRUB menu, one entry per blade
 * with its boot parameters, the blade map (MAC → name, address, initiator name) by which a blade
 * that GRUB cannot tell apart finds its name in the initramfs, and what every blade is given at
 * boot (/etc/hosts, the cluster network). The node initramfs (overlays/node, boot=vl) reads them
 * with `read`: plain words, one record per line. Rendered from the spec; no secret ever goes here,
 * VLBOOT is readable by any initiator the SAN lets in.
 */

import { inputHash } from '../../core/plan/input-hash.ts';
import {
  type Blade,
  bladeVolume,
  bootParameters,
  clusterDomain,
  clusterNetwork,
  expandBlades,
  goldenVolume,
  initiatorName,
  volumeGroup,
} from '../../core/spec/derive.ts';
import type { Spec } from '../../core/spec/schema.ts';
import type { Manifest } from '../../images/manifest.ts';
import { specJson } from './meta.ts';

/** where things are on VLBOOT */
export const VLBOOT_FILES = {
  kernel: '/vmlinuz',
  initrd: '/initrd.img',
  grubConfig: '/boot/grub/grub.cfg',
  bladeMap: '/virtualinux/blades.map',
  hosts: '/virtualinux/hosts',
  cluster: '/virtualinux/cluster.conf',
  authorizedKeys: '/virtualinux/authorized_keys',
  /** the spec as the blades see it (bladeSpec): `virtualinux` on a blade uses it by default */
  spec: '/virtualinux/cluster.json',
  /** the DVD's Node and installer bundle: `virtualinux` on a running blade (overlays/node) */
  node: '/virtualinux/runtime/node',
  bundle: '/virtualinux/runtime/installer.mjs',
} as const;

/** the Node and installer bundle the install copies to VLBOOT, and what tells one build from another */
export interface BladeRuntime {
  node: string;
  bundle: string;
  /** changes with either file */
  id: string;
}

/**
 * What every entry adds: the kernel's interface names (sif=eth0, ib0 name them), and the consoles
 * (the screen, and the serial port a lab or a BMC reads)
 */
const COMMON = ['boot=vl', 'net.ifnames=0', 'console=tty0', 'console=ttyS0,115200n8'];

/** parameters every blade shares: the blade-specific ones (address, identity, upper layer) left out */
function sharedParameters(spec: Spec, blade: Blade): string[] {
  const own = /^(sifip|sifnm|root|vl\.node)=/;
  return bootParameters(spec, blade).filter((p) => !own.test(p));
}

/**
 * One line per blade: name, cluster-network MAC, storage MAC ("-" when the same NIC), its address
 * on the cluster network with the prefix, its initiator name, then its kernel parameters.
 */
export function renderBladeMap(spec: Spec): string {
  const prefix = clusterNetwork(spec).prefix;
  const lines = expandBlades(spec).map((blade) =>
    [
      blade.name,
      blade.mac,
      blade.sifMac ?? '-',
      `${blade.ip}/${prefix}`,
      initiatorName(spec, blade),
      ...bootParameters(spec, blade),
    ].join(' '),
  );
  return [
    `# blades of the VirtuaLinux cluster ${spec.cluster.name}: written by the installer from cluster.yaml`,
    '# name mac storage-mac address/prefix initiator-name kernel-parameters...',
    ...lines,
    '',
  ].join('\n');
}

/** /etc/hosts of every blade: the blades by name and by fully qualified name */
export function renderHosts(spec: Spec): string {
  const domain = clusterDomain(spec);
  return [
    `# /etc/hosts of the VirtuaLinux cluster ${spec.cluster.name}: written at boot from VLBOOT, do not edit`,
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    ...expandBlades(spec).map((blade) => `${blade.ip}\t${blade.name}.${domain} ${blade.name}`),
    '',
  ].join('\n');
}

/** the cluster network as every blade configures it: `key value` lines */
export function renderClusterConfig(spec: Spec): string {
  return [
    `# the cluster network of the VirtuaLinux cluster ${spec.cluster.name}: written by the installer from cluster.yaml`,
    `cluster ${spec.cluster.name}`,
    `domain ${clusterDomain(spec)}`,
    `cidr ${spec.network.cidr}`,
    ...(spec.network.gateway ? [`gateway ${spec.network.gateway}`] : []),
    ...(spec.network.dns.length > 0 ? [`dns ${spec.network.dns.join(' ')}`] : []),
    '',
  ].join('\n');
}

const quoteEntry = (text: string) => `'${text.replaceAll("'", '')}'`;

export function renderGrubConfig(spec: Spec): string {
  const blades = expandBlades(spec);
  const first = blades[0];
  const linux = (params: string[]) =>
    `\tlinux ${VLBOOT_FILES.kernel} ${[...params, ...COMMON].join(' ')}\n\tinitrd ${VLBOOT_FILES.initrd}`;
  const byMac = blades.flatMap((blade) =>
    [blade.mac, blade.sifMac]
      .filter((mac): mac is string => mac !== undefined)
      .map((mac) => `if [ "$net_default_mac" = "${mac}" ]; then set default=${blade.name}; fi`),
  );
  return [
    `# VLBOOT of the VirtuaLinux cluster ${spec.cluster.name}: written by the installer from cluster.yaml, do not edit.`,
    '# GRUB picks the blade by MAC when it knows one (network boot); otherwise the first entry lets the',
    `# initramfs find the blade's name from its MAC in ${VLBOOT_FILES.bladeMap}.`,
    'serial --unit=0 --speed=115200',
    'terminal_input console serial',
    'terminal_output console serial',
    'set timeout=3',
    'set default=by-mac',
    ...byMac,
    '',
    ...(first
      ? [
          `menuentry ${quoteEntry('VirtuaLinux blade (found by MAC)')} --id by-mac {`,
          // no upper layer named: the initramfs adds node_<name> once it knows the name
          linux([
            ...sharedParameters(spec, first),
            `root=vl:${volumeGroup(spec)}/${goldenVolume(spec.images.node)}`,
          ]),
          '}',
        ]
      : []),
    ...blades.flatMap((blade) => [
      `menuentry ${quoteEntry(`VirtuaLinux ${blade.name} (${bladeVolume(blade)})`)} --id ${blade.name} {`,
      linux(bootParameters(spec, blade)),
      '}',
    ]),
    '',
  ].join('\n');
}

/** root's authorized_keys on every blade: the spec's access.sshKeys (public keys, no secret) */
export function renderAuthorizedKeys(spec: Spec): string {
  return spec.access.sshKeys.map((key) => `${key}\n`).join('');
}

export interface BootContent {
  grubConfig: string;
  bladeMap: string;
  hosts: string;
  cluster: string;
  authorizedKeys: string;
  spec: string;
  runtime?: BladeRuntime;
  blades: number;
  /** of everything written to VLBOOT: a change in any of it, and VLBOOT is written again */
  hash: string;
}

/**
 * The spec as vl_meta keeps it, without san.chap: a running blade reaches the SAN through the
 * session that holds its root, and VLBOOT, readable by every initiator the SAN lets in, holds not
 * even where the secrets are
 */
export function bladeSpec(spec: Spec): Spec {
  const { chap: _chap, ...san } = spec.san;
  return { ...spec, san };
}

export function bootContent(
  spec: Spec,
  images: Record<string, Manifest>,
  runtime?: BladeRuntime,
): BootContent {
  const grubConfig = renderGrubConfig(spec);
  const bladeMap = renderBladeMap(spec);
  const hosts = renderHosts(spec);
  const cluster = renderClusterConfig(spec);
  const authorizedKeys = renderAuthorizedKeys(spec);
  const specText = specJson(bladeSpec(spec));
  // the kernel and initramfs come out of the node image: another image, another VLBOOT
  const kernel = images[spec.images.node]?.archive.sha256;
  return {
    grubConfig,
    bladeMap,
    hosts,
    cluster,
    authorizedKeys,
    spec: specText,
    ...(runtime && { runtime }),
    blades: expandBlades(spec).length,
    hash: inputHash({
      grubConfig,
      bladeMap,
      hosts,
      cluster,
      authorizedKeys,
      kernel,
      spec: specText,
      ...(runtime && { runtime: runtime.id }),
    }),
  };
}
