/**
 * Enlisting blades, as MAAS does: a blade powered on with PXE asks DHCP for an address, and its
 * request names its MAC. The guided installer listens on the cluster network's DHCP port, answers
 * nothing (the cluster's own DHCP comes with the install), and offers each new MAC as a blade.
 */
import { createSocket, type Socket } from 'node:dgram';
import { UserError } from '../../core/errors.ts';

/** the DHCP server's port (RFC 2131), where clients broadcast */
export const DHCP_SERVER_PORT = 67;

const BOOTREQUEST = 1;
const HTYPE_ETHERNET = 1;
/** op … file: the fixed BOOTP header (RFC 951), then the magic cookie */
const HEADER_BYTES = 236;
const MAGIC_COOKIE = 0x63825363;
const CHADDR_OFFSET = 28;

const OPTION_PAD = 0;
const OPTION_END = 255;
const OPTION_HOSTNAME = 12;
const OPTION_MESSAGE_TYPE = 53;
const OPTION_VENDOR_CLASS = 60;

const MESSAGE_TYPES: Record<number, string> = {
  1: 'DISCOVER',
  3: 'REQUEST',
  4: 'DECLINE',
  7: 'RELEASE',
  8: 'INFORM',
};

export interface DhcpRequest {
  /** the client's hardware address, lower case: 52:54:00:42:00:01 */
  mac: string;
  /** DISCOVER, REQUEST, ... (option 53) */
  messageType: string;
  /** option 60: PXEClient:Arch:00000:UNDI:002001 for a PXE ROM */
  vendorClass?: string;
  /** option 12 */
  hostname?: string;
}

const hex = (byte: number) => byte.toString(16).padStart(2, '0');

/** the options area as code → value; undefined when it runs past the packet's end */
function options(packet: Buffer): Map<number, Buffer> | undefined {
  const found = new Map<number, Buffer>();
  let at = HEADER_BYTES + 4;
  while (at < packet.length) {
    const code = packet[at] as number;
    if (code === OPTION_END) return found;
    if (code === OPTION_PAD) {
      at += 1;
      continue;
    }
    const length = packet[at + 1];
    if (length === undefined || at + 2 + length > packet.length) return undefined;
    found.set(code, packet.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return found;
}

/**
 * A client's request (BOOTREQUEST with DHCP's message type) from an Ethernet NIC; anything else
 * (a server's reply, a BOOTP request without option 53, Infiniband's 20-byte addresses, which
 * chaddr does not hold, a truncated packet) is not a blade to enlist: undefined.
 */
export function parseDhcpRequest(packet: Buffer): DhcpRequest | undefined {
  if (packet.length < HEADER_BYTES + 4) return undefined;
  if (packet[0] !== BOOTREQUEST || packet[1] !== HTYPE_ETHERNET || packet[2] !== 6) return undefined;
  if (packet.readUInt32BE(HEADER_BYTES) !== MAGIC_COOKIE) return undefined;
  const found = options(packet);
  const type = found?.get(OPTION_MESSAGE_TYPE)?.[0];
  const messageType = type === undefined ? undefined : MESSAGE_TYPES[type];
  if (!found || messageType === undefined) return undefined;
  const mac = [...packet.subarray(CHADDR_OFFSET, CHADDR_OFFSET + 6)].map(hex).join(':');
  const vendorClass = found.get(OPTION_VENDOR_CLASS)?.toString('latin1');
  const hostname = found.get(OPTION_HOSTNAME)?.toString('latin1');
  return {
    mac,
    messageType,
    ...(vendorClass !== undefined && { vendorClass }),
    ...(hostname !== undefined && { hostname }),
  };
}

export interface Enlisting {
  /** the port listened on (the one asked, or the kernel's choice for 0) */
  port: number;
  close(): Promise<void>;
}

export interface EnlistOptions {
  /** each MAC once, in the order its first request came */
  onMac: (mac: string, request: DhcpRequest) => void;
  port?: number;
  /** default: every address, broadcasts included */
  address?: string;
}

/** listens for DHCP requests and answers none; rejects when the port cannot be had */
export function listenForRequests(options: EnlistOptions): Promise<Enlisting> {
  const port = options.port ?? DHCP_SERVER_PORT;
  const seen = new Set<string>();
  const socket: Socket = createSocket({ type: 'udp4' });
  socket.on('message', (packet) => {
    const request = parseDhcpRequest(packet);
    if (!request || seen.has(request.mac)) return;
    seen.add(request.mac);
    options.onMac(request.mac, request);
  });
  return new Promise<Enlisting>((resolve, reject) => {
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.close();
      reject(
        error.code === 'EACCES'
          ? new UserError(
              `enlisting needs UDP port ${port}, which only root may listen on`,
              'run the installer as root',
            )
          : new UserError(
              `enlisting cannot listen on UDP port ${port}: ${error.code ?? error.message}`,
              'a DHCP server runs on this machine: stop it, or add the blades by range or from a file',
            ),
      );
    });
    socket.bind({ port, ...(options.address !== undefined && { address: options.address }) }, () => {
      // later errors (none expected on a bound UDP socket) must not crash the dialogue
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      resolve({
        port: socket.address().port,
        close: () => new Promise<void>((done) => socket.close(() => done())),
      });
    });
  });
}
