/**
 * Enlisting on real UDP sockets (loopback, a port of the kernel's choosing: 67 is the lab's and
 * needs root): each blade's MAC offered once, in the order its requests came; a taken port named.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, expect, test, vi } from 'vitest';
import { type Enlisting, listenForRequests } from '../../../installer/engine/dhcp.ts';
import { dhcpPacket, PXE_VENDOR_CLASS } from '../../unit/installer/engine/dhcp-packets.ts';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0)) await thing.close();
});

function send(port: number, packet: Buffer): Promise<void> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) =>
    socket.send(packet, port, '127.0.0.1', (error) => {
      socket.close();
      if (error) reject(error);
      else resolve();
    }),
  );
}

test('each MAC once, in order; replies and other traffic ignored; nothing is answered', async () => {
  const macs: string[] = [];
  const enlisting: Enlisting = await listenForRequests({
    port: 0,
    address: '127.0.0.1',
    onMac: (mac) => macs.push(mac),
  });
  open.push(enlisting);
  const blade = (mac: string, messageType: number) =>
    dhcpPacket({ mac, messageType, vendorClass: PXE_VENDOR_CLASS });
  await send(enlisting.port, blade('52:54:00:42:00:05', 1));
  await send(enlisting.port, blade('52:54:00:42:00:05', 3)); // its REQUEST after the OFFER
  await send(enlisting.port, dhcpPacket({ op: 2, mac: '52:54:00:42:00:09' })); // another server's reply
  await send(enlisting.port, Buffer.from('not dhcp'));
  await send(enlisting.port, blade('52:54:00:42:00:06', 1));
  await vi.waitFor(() => expect(macs).toEqual(['52:54:00:42:00:05', '52:54:00:42:00:06']), { timeout: 5000 });
});

test('a port another program holds is named, with what to do', async () => {
  const holder: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
  open.push(holder);
  const port = holder.address().port;
  await expect(listenForRequests({ port, address: '127.0.0.1', onMac: () => {} })).rejects.toMatchObject({
    message: `enlisting cannot listen on UDP port ${port}: EADDRINUSE`,
    hint: 'a DHCP server runs on this machine: stop it, or add the blades by range or from a file',
  });
});
