/**
 * The schema of cluster.yaml: the single source of truth for a VirtuaLinux cluster.
 * Defaults make a small spec complete; values derived from it live in derive.ts, never here.
 */
import { z } from 'zod';
import {
  Cidr,
  ClusterName,
  DnsDomain,
  Hostname,
  ImageName,
  InterfaceName,
  Ipv4,
  Iqn,
  IqnPrefix,
  Mac,
  ModuleName,
  NodeNames,
  Portal,
  SecretRef,
  Size,
  SshPublicKey,
  text,
} from './primitives.ts';

const section = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape);

export const ActiveService = z.enum(['dhcp', 'dns', 'tftp', 'ntp']);
export const PassiveService = z.enum(['nfs', 'syslog']);
export type ActiveService = z.infer<typeof ActiveService>;
export type PassiveService = z.infer<typeof PassiveService>;

const Chap = section({
  user: text('a CHAP user name').min(1).describe('CHAP user name the blades log in with'),
  secret: SecretRef.describe(
    'where the CHAP secret is: file:/path (mode 0600) or env:NAME, never the secret',
  ),
  mutual: section({
    user: text('a CHAP user name').min(1).describe('CHAP user name of the target'),
    secret: SecretRef.describe("where the target's secret is: file:/path or env:NAME"),
  })
    .optional()
    .describe('mutual CHAP: the target proves itself to the blades too'),
}).describe('CHAP authentication; absent: none (only on a closed storage fabric)');

export const Cluster = section({
  name: ClusterName.describe('short name: the volume group is vl_<name>, initiators end in :<name>.<blade>'),
  domain: DnsDomain.optional().describe('DNS domain of the cluster network; default <name>.cluster.internal'),
  iqnPrefix: IqnPrefix.default('iqn.2026-11.org.virtualinux').describe(
    "naming authority of the blades' initiator names",
  ),
}).describe('the cluster as a whole');

export const San = section({
  portals: z
    .array(Portal)
    .min(1, { error: 'expected at least one portal' })
    .describe('ADDRESS[:PORT] of the SAN; several for multipath (one port for all)'),
  target: Iqn.describe('iSCSI name of the target that exports the LUN'),
  lun: z.int().min(0).max(16383).default(1).describe('LUN number of the cluster disk on that target'),
  transport: z.enum(['tcp', 'iser']).default('tcp').describe('tcp, or iser for iSCSI over RDMA (Infiniband)'),
  chap: Chap.optional(),
  size: Size.optional().describe("the LUN's size when known: the layout is checked against it"),
}).describe('the external SAN holding every volume of the cluster');

export const Fabric = section({
  sif: InterfaceName.default('eth0').describe(
    'interface that reaches the SAN (boot parameter sif), e.g. ib0',
  ),
  modules: z
    .array(ModuleName)
    .default([])
    .describe('kernel modules that bring sif up (sifm), e.g. ib_ipoib, mlx5_ib'),
  cidr: Cidr.optional().describe('fabric network for static addresses; absent: DHCP on sif'),
  firstHost: z.int().min(1).default(10).describe('blade i gets fabric host number firstHost + i'),
  mtu: z
    .int()
    .min(576)
    .max(65520)
    .optional()
    .describe('MTU of sif; IPoIB: up to 2044 datagram, 65520 connected'),
  ipoibMode: z
    .enum(['datagram', 'connected'])
    .optional()
    .describe('IPoIB mode when sif is an Infiniband interface'),
}).describe('the storage fabric between the blades and the SAN');

export const Network = section({
  cidr: Cidr.default('10.42.0.0/24').describe('the cluster network the blades talk on'),
  gateway: Ipv4.optional().describe('default route of the blades, if any'),
  dns: z.array(Ipv4).default([]).describe('upstream resolvers for names outside the cluster domain'),
  firstHost: z
    .int()
    .min(1)
    .default(10)
    .describe('blade i (from 0, in spec order) gets host number firstHost + i unless it has an ip'),
  vips: z
    .partialRecord(PassiveService, Ipv4)
    .default({})
    .describe('virtual IPs of passive services; absent ones are counted down from the top of the network'),
}).describe('the cluster network');

const AbsolutePath = text('an absolute path').regex(/^\/\S*$/, {
  error: 'expected an absolute path like /home',
});

export const SharedVolume = section({
  name: Hostname.describe('volume name: shared_<name>'),
  size: Size.describe('volume size'),
  mount: AbsolutePath.describe('where the blades mount it'),
  export: z.enum(['nfs', 'none']).default('nfs').describe('nfs: served by the VIP holder to every blade'),
});

export const Storage = section({
  vg: text('a volume group name')
    .regex(/^[a-zA-Z0-9_][a-zA-Z0-9_.+-]{0,63}$/, { error: 'expected an LVM name like vl_lab' })
    .optional()
    .describe('volume group on the LUN; default vl_<cluster>'),
  boot: Size.prefault('512MiB').describe('the VLBOOT partition (GRUB, kernels, blade map)'),
  meta: Size.prefault('64MiB').describe('vl_meta: the spec, the journal, the install report'),
  bladeLayer: Size.prefault('4GiB').describe("each blade's writable layer node_<blade>"),
  images: z
    .record(ImageName, Size)
    .default({})
    .describe('golden volume sizes by image name; defaults: node OS 4 GiB, each VC image 2 GiB'),
  shared: z
    .array(SharedVolume)
    .prefault([{ name: 'home', size: '8GiB', mount: '/home' }])
    .describe('shared data volumes; default: home, 8 GiB, on /home over NFS'),
  persistent: z
    .array(
      AbsolutePath.refine((path) => path !== '/', {
        error: 'the whole root cannot be persistent: a reset keeps only some paths',
      }),
    )
    .default(['/root'])
    .describe("paths of a blade's root that `virtualinux reset --keep-data` carries into the factory layer"),
}).describe('the volumes on the LUN (sizes like 512MiB, 4GiB, 4G)');

export const NodeEntry = section({
  name: NodeNames.describe('one blade, or a range: node[01-16], node[01-04,09]'),
  mac: Mac.optional().describe('MAC on the cluster network; for a range, the first one (the others follow)'),
  macs: z.array(Mac).optional().describe('one MAC per blade of the range, in order (instead of mac)'),
  sifMac: Mac.optional().describe('MAC of the storage-fabric NIC when it is another NIC; first of a range'),
  ip: Ipv4.optional().describe('address on the cluster network; for a range, the first one'),
  sifIp: Ipv4.optional().describe('static address on the storage fabric; for a range, the first one'),
});

export const Images = section({
  node: ImageName.default('node').describe('the OS image the blades boot'),
  vc: z
    .array(ImageName)
    .default(['debian-12', 'ubuntu-24.04', 'rocky-9'])
    .describe('virtual-cluster images installed on the SAN'),
}).describe('the images the install writes');

export const Services = section({
  active: z
    .array(ActiveService)
    .default(['dhcp', 'dns', 'tftp', 'ntp'])
    .describe('every blade serves these, with identical answers derived from the spec'),
  passive: z
    .array(PassiveService)
    .default(['nfs', 'syslog'])
    .describe('one instance behind a virtual IP; a standby takes over'),
}).describe('the replicated services of the privileged cluster');

export const Access = section({
  sshKeys: z
    .array(SshPublicKey)
    .default([])
    .describe('public keys that may log in as root on every blade over SSH (the lab adds its own)'),
}).describe('who may log in to the blades');

export const Spec = section({
  cluster: Cluster,
  san: San,
  fabric: Fabric.prefault({}),
  network: Network.prefault({}),
  storage: Storage.prefault({}),
  nodes: z
    .array(NodeEntry)
    .min(1, { error: 'expected at least one blade' })
    .describe('the blades: names (or ranges), MACs, optional addresses'),
  images: Images.prefault({}),
  services: Services.prefault({}),
  access: Access.prefault({}),
}).describe('cluster.yaml: a VirtuaLinux cluster');

export type Spec = z.infer<typeof Spec>;
export type NodeEntry = z.infer<typeof NodeEntry>;

/** JSON Schema of cluster.yaml as written (sizes as text), for editor completion */
export function specJsonSchema(): object {
  return z.toJSONSchema(Spec, { io: 'input', unrepresentable: 'any' });
}
