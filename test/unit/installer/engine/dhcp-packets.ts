/**
 * DHCP packets built as a blade's firmware sends them (RFC 2131 framing; the options iPXE's
 * DISCOVER carries: message type, vendor class PXEClient:Arch:00000:UNDI:002001, a hostname
 * when set), for the enlisting tests: built here, byte by byte, not recorded.
 */

export interface PacketOptions {
  mac?: string;
  /** 1 BOOTREQUEST, 2 BOOTREPLY */
  op?: number;
  /** 1 Ethernet, 32 Infiniband */
  htype?: number;
  hlen?: number;
  /** option 53; undefined: a plain BOOTP request without it */
  messageType?: number | undefined;
  vendorClass?: string;
  hostname?: string;
}

export const PXE_VENDOR_CLASS = 'PXEClient:Arch:00000:UNDI:002001';

export function dhcpPacket(options: PacketOptions = {}): Buffer {
  const header = Buffer.alloc(236);
  header[0] = options.op ?? 1;
  header[1] = options.htype ?? 1;
  header[2] = options.hlen ?? 6;
  header.writeUInt32BE(0x3903f326, 4); // xid
  header.writeUInt16BE(0x8000, 10); // broadcast flag
  const mac = (options.mac ?? '52:54:00:42:00:05').split(':').map((b) => Number.parseInt(b, 16));
  Buffer.from(mac).copy(header, 28);
  const cookie = Buffer.from([0x63, 0x82, 0x53, 0x63]);
  const parts: Buffer[] = [header, cookie];
  const option = (code: number, value: Buffer) => parts.push(Buffer.from([code, value.length]), value);
  const type = 'messageType' in options ? options.messageType : 1;
  if (type !== undefined) option(53, Buffer.from([type]));
  option(57, Buffer.from([0x05, 0xdc])); // max message size 1500
  if (options.vendorClass !== undefined) option(60, Buffer.from(options.vendorClass, 'latin1'));
  if (options.hostname !== undefined) option(12, Buffer.from(options.hostname, 'latin1'));
  parts.push(Buffer.from([0, 0, 255])); // pads, end
  return Buffer.concat(parts);
}
