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
  text,
} from './primitives.ts';

const section = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape);

export const ActiveService = z.enum(['dhcp', 'dns', 'tftp', 'ntp']);
export const PassiveService = z.enum(['nfs', 'syslog']);
export type ActiveService = z.infer<typeof ActiveService>;
export type PassiveService = z.infer<typeof PassiveService>;

const Chap = section({
  user: text('a CHAP user name').min(1),
  secret: SecretRef,
  /** mutual CHAP: the target proves itself to the blades too */
  mutual: section({ user: text('a CHAP user name').min(1), secret: SecretRef }).optional(),
});

export const Cluster = section({
  name: ClusterName,
  /** DNS domain of the cluster network; default `<name>.cluster.internal` */
  domain: DnsDomain.optional(),
  /** naming authority of the blades' initiator names */
  iqnPrefix: IqnPrefix.default('iqn.2026-11.org.virtualinux'),
});

export const San = section({
  /** one portal, or several for multipath */
  portals: z.array(Portal).min(1, { error: 'expected at least one portal' }),
  target: Iqn,
  lun: z.int().min(0).max(16383).default(1),
  transport: z.enum(['tcp', 'iser']).default('tcp'),
  chap: Chap.optional(),
  /** the LUN's size when known: the layout is checked against it */
  size: Size.optional(),
});

export const Fabric = section({
  /** the interface that reaches the SAN (ARCHITECTURE §4 `sif`) */
  sif: InterfaceName.default('eth0'),
  /** kernel modules that bring `sif` up (`sifm`) */
  modules: z.array(ModuleName).default([]),
  /** static addressing from this network; absent: DHCP */
  cidr: Cidr.optional(),
  firstHost: z.int().min(1).default(10),
  mtu: z.int().min(576).max(65520).optional(),
  /** IPoIB mode when `sif` is an Infiniband interface */
  ipoibMode: z.enum(['datagram', 'connected']).optional(),
});

export const Network = section({
  cidr: Cidr.default('10.42.0.0/24'),
  gateway: Ipv4.optional(),
  /** upstream resolvers for names outside the cluster domain */
  dns: z.array(Ipv4).default([]),
  /** blade i (from 0, in spec order) gets host number firstHost + i unless it has an explicit ip */
  firstHost: z.int().min(1).default(10),
  /** virtual IPs of passive services; absent ones are taken from the top of the network */
  vips: z.partialRecord(PassiveService, Ipv4).default({}),
});

export const SharedVolume = section({
  name: Hostname,
  size: Size,
  mount: text('an absolute path').regex(/^\/\S*$/, { error: 'expected an absolute path like /home' }),
  export: z.enum(['nfs', 'none']).default('nfs'),
});

export const Storage = section({
  /** the volume group on the LUN; default `vl_<cluster>` */
  vg: text('a volume group name')
    .regex(/^[a-zA-Z0-9_][a-zA-Z0-9_.+-]{0,63}$/, { error: 'expected an LVM name like vl_lab' })
    .optional(),
  boot: Size.default(512 * 2 ** 20),
  meta: Size.default(64 * 2 ** 20),
  /** each blade's writable layer (`node_<name>`) */
  bladeLayer: Size.default(4 * 2 ** 30),
  /** golden image volume sizes by image name; defaults: node OS 4 GiB, each VC image 2 GiB */
  images: z.record(ImageName, Size).default({}),
  shared: z.array(SharedVolume).default([{ name: 'home', size: 8 * 2 ** 30, mount: '/home', export: 'nfs' }]),
});

export const NodeEntry = section({
  /** one blade, or a range: node[01-16] */
  name: NodeNames,
  /** MAC on the cluster network; for a range, the first one (the others follow) */
  mac: Mac.optional(),
  /** one MAC per blade of the range, in order (instead of mac) */
  macs: z.array(Mac).optional(),
  /** MAC of the storage-fabric NIC when it is not the cluster-network NIC; first of a range */
  sifMac: Mac.optional(),
  /** address on the cluster network; for a range, the first one */
  ip: Ipv4.optional(),
  /** static address on the storage fabric; for a range, the first one */
  sifIp: Ipv4.optional(),
});

export const Images = section({
  node: ImageName.default('node'),
  vc: z.array(ImageName).default(['debian-12', 'ubuntu-24.04', 'rocky-9']),
});

export const Services = section({
  /** every blade serves these, with identical answers derived from the spec */
  active: z.array(ActiveService).default(['dhcp', 'dns', 'tftp', 'ntp']),
  /** one instance behind a virtual IP, a standby takes over */
  passive: z.array(PassiveService).default(['nfs', 'syslog']),
});

export const Spec = section({
  cluster: Cluster,
  san: San,
  fabric: Fabric.prefault({}),
  network: Network.prefault({}),
  storage: Storage.prefault({}),
  nodes: z.array(NodeEntry).min(1, { error: 'expected at least one blade' }),
  images: Images.prefault({}),
  services: Services.prefault({}),
});

export type Spec = z.infer<typeof Spec>;
export type NodeEntry = z.infer<typeof NodeEntry>;

/** JSON Schema of cluster.yaml as written (sizes as text), for editor completion */
export function specJsonSchema(): object {
  return z.toJSONSchema(Spec, { io: 'input', unrepresentable: 'any' });
}
