/**
 * What the guided installer asks of the install engine, and what it gets back: the engine port.
 * The TUI renders these values and sends requests through the port; it never runs anything
 * itself. The DVD's wiring implements the port on the engine (observe.ts, san.ts, plan.ts,
 * install.ts); tests implement it with recorded answers.
 */
import type { EventSink } from '../../core/exec/events.ts';
import type { Spec } from '../../core/spec/schema.ts';
import type { InstallEvent } from '../engine/install.ts';
import type { LunVerdict } from '../engine/plan.ts';
import type { SifFabric } from '../engine/san.ts';

/** one network interface of the machine the DVD booted, as `ip -j link` and ethtool see it */
export interface InterfaceInfo {
  name: string;
  /** operstate: up, down, unknown, ... */
  link: string;
  driver?: string;
  mac: string;
  /** IPv4 addresses it has now, CIDR notation */
  addresses?: string[];
}

/** IPoIB: the kernel names Infiniband interfaces ib0, ib1, ... */
export const isIpoib = (iface: Pick<InterfaceInfo, 'name'>) => /^ib\d/.test(iface.name);

/** whether a SAN portal answered on the iSCSI port */
export interface PortalProbe {
  portal: string;
  answers: boolean;
  /** why not, in the engine's words: "no route to host", "connection refused" */
  detail?: string;
}

export interface NetworkObservation {
  interfaces: InterfaceInfo[];
  /** the portal the boot named (storage_ip), probed through the interfaces as they are now */
  portal?: PortalProbe;
}

export interface SanRequest {
  portals: string[];
  /** the interface to the SAN chosen on the Network screen: brought up before the portals are asked */
  fabric?: SifFabric;
  /** the secret goes to the engine only: never into the spec, never on screen */
  chap?: { user: string; secret: string };
}

/**
 * What a LUN holds, as the engine's classifyLun tells before the cluster is named: nothing,
 * data that is not VirtuaLinux's, or a VirtuaLinux cluster (this one, or another: the name tells).
 */
export type LunOwner = 'empty' | 'foreign' | 'cluster';

/** one LUN a target exports, with what is on it now (describeContents, one item a line) */
export interface LunSummary {
  target: string;
  lun: number;
  bytes: number;
  device?: string;
  vendor?: string;
  model?: string;
  owner: LunOwner;
  /** the VirtuaLinux cluster on it */
  cluster?: string;
  contents: string[];
}

export interface SanDiscovery {
  portals: PortalProbe[];
  luns: LunSummary[];
}

export interface PlanRequest {
  spec: Spec;
  chapSecret?: string;
  /** the chosen LUN holds data that is not this cluster's: erase it (--wipe with the cluster's name) */
  wipe: boolean;
}

/** the plan as the Review screen shows it */
export interface PlanSummary {
  /** the LUN, described: /dev/sdb (40 GiB, IET VIRTUAL-DISK) */
  lun: string;
  verdict: LunVerdict;
  /** describePlan's lines */
  lines: string[];
  actions: { id: string; description: string }[];
}

export interface InstallOutcome {
  lun: string;
  /** what was created, one item a line: volume group, volumes, VLBOOT, ... */
  created: string[];
  /** where cluster.yaml was saved */
  specSaved: string;
}

export interface EnginePort {
  observeNetwork(): Promise<NetworkObservation>;
  discoverSan(request: SanRequest): Promise<SanDiscovery>;
  /** rejects with the engine's refusal (a UserError: message and hint) when the LUN cannot take the install */
  plan(request: PlanRequest): Promise<PlanSummary>;
  /** applies the plan made last; stops between commands when the signal aborts */
  apply(events: EventSink<InstallEvent>, signal: AbortSignal): Promise<InstallOutcome>;
  /** writes cluster.yaml onto a USB stick; resolves with where, in a line; rejects saying why not */
  saveToUsb(specText: string): Promise<string>;
}

/** an engine failure in the administrator's words: a UserError carries a hint */
export interface Failure {
  message: string;
  hint?: string;
}

export function failureOf(error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  const hint = (error as { hint?: unknown } | undefined)?.hint;
  return typeof hint === 'string' ? { message, hint } : { message };
}
