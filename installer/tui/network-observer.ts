/**
 * The network as the guided installer's Network screen shows it: the interfaces (`ip -j addr`,
 * the driver from sysfs) and whether the SAN portal the boot named (storage_ip, storage_port)
 * accepts a TCP connection on its iSCSI port, through the interfaces as they are now.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { basename, join } from 'node:path';
import type { Runner } from '../../core/exec/runner.ts';
import { kernelParameters } from '../boot-request.ts';
import {
  DEFAULT_ISCSI_PORT,
  formatPortal,
  type IpInterface,
  ipv4Of,
  type Portal,
  parseIpAddr,
} from '../engine/san.ts';
import type { InterfaceInfo, NetworkObservation, PortalProbe } from './port.ts';

/** `root` stands in for / (tests): /proc/cmdline, /sys/class/net */
export async function observeNetwork(
  runner: Runner,
  root: string,
  probeTimeoutMs: number,
): Promise<NetworkObservation> {
  const shown = await runner.run({ tool: 'ip', args: ['-j', 'addr', 'show'] });
  const interfaces = parseIpAddr(shown.stdout)
    .filter((i) => i.link_type !== 'loopback')
    .map((i) => interfaceInfo(i, root));
  const portal = bootPortal(root);
  if (!portal) return { interfaces };
  return { interfaces, portal: await probePortal(portal, probeTimeoutMs) };
}

function interfaceInfo(iface: IpInterface, root: string): InterfaceInfo {
  const driver = driverOf(iface.ifname, root);
  const addresses = ipv4Of(iface);
  return {
    name: iface.ifname,
    link: (iface.operstate ?? 'unknown').toLowerCase(),
    ...(driver && { driver }),
    mac: iface.address ?? '',
    ...(addresses.length > 0 && { addresses }),
  };
}

/** the kernel driver bound to the NIC: /sys/class/net/NAME/device/driver links to it; virtual ones have none */
function driverOf(name: string, root: string): string | undefined {
  try {
    return basename(readlinkSync(join(root, 'sys/class/net', name, 'device/driver')));
  } catch {
    return undefined;
  }
}

/** the portal the boot named: storage_ip (the first of a list) and storage_port */
function bootPortal(root: string): Portal | undefined {
  let cmdline: string;
  try {
    cmdline = readFileSync(join(root, 'proc/cmdline'), 'utf8');
  } catch {
    return undefined;
  }
  const parameters = kernelParameters(cmdline);
  const ip = parameters.get('storage_ip');
  const address = typeof ip === 'string' ? ip.split(',')[0] : undefined;
  if (!address) return undefined;
  const port = Number(parameters.get('storage_port'));
  return { address, port: Number.isInteger(port) && port > 0 && port < 65536 ? port : DEFAULT_ISCSI_PORT };
}

const CONNECT_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'no such host (name lookup failed)',
};

/** a TCP connection to the portal's iSCSI port, through the interfaces as they are now */
export function probePortal(portal: Portal, timeoutMs: number): Promise<PortalProbe> {
  const name = formatPortal(portal);
  return new Promise((resolve) => {
    const socket = connect({ host: portal.address, port: portal.port });
    const done = (probe: PortalProbe) => {
      socket.destroy();
      resolve(probe);
    };
    socket.setTimeout(timeoutMs, () =>
      done({ portal: name, answers: false, detail: `no answer within ${timeoutMs / 1000} s` }),
    );
    socket.once('connect', () => done({ portal: name, answers: true }));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({ portal: name, answers: false, detail: CONNECT_ERRORS[error.code ?? ''] ?? error.message }),
    );
  });
}
