/** Enlisting: a blade's DHCP request read for its MAC; everything that is not one, left alone. */
import { describe, expect, test } from 'vitest';
import { parseDhcpRequest } from '../../../../installer/engine/dhcp.ts';
import { dhcpPacket, PXE_VENDOR_CLASS } from './dhcp-packets.ts';

describe('parseDhcpRequest', () => {
  test("a PXE ROM's DISCOVER and REQUEST: the MAC in lower case, the message type, the vendor class", () => {
    expect(parseDhcpRequest(dhcpPacket({ mac: '52:54:00:AB:00:05', vendorClass: PXE_VENDOR_CLASS }))).toEqual(
      {
        mac: '52:54:00:ab:00:05',
        messageType: 'DISCOVER',
        vendorClass: PXE_VENDOR_CLASS,
      },
    );
    expect(parseDhcpRequest(dhcpPacket({ messageType: 3, hostname: 'node05' }))).toEqual({
      mac: '52:54:00:42:00:05',
      messageType: 'REQUEST',
      hostname: 'node05',
    });
  });

  test('not a blade to enlist: a reply, BOOTP without a message type, Infiniband, an OFFER, a truncated packet', () => {
    expect(parseDhcpRequest(dhcpPacket({ op: 2 }))).toBeUndefined();
    expect(parseDhcpRequest(dhcpPacket({ messageType: undefined }))).toBeUndefined();
    expect(parseDhcpRequest(dhcpPacket({ htype: 32, hlen: 0 }))).toBeUndefined();
    expect(parseDhcpRequest(dhcpPacket({ messageType: 2 }))).toBeUndefined();
    const whole = dhcpPacket({ vendorClass: PXE_VENDOR_CLASS });
    expect(parseDhcpRequest(whole.subarray(0, 200))).toBeUndefined();
    // an option that runs past the end
    expect(parseDhcpRequest(whole.subarray(0, 250))).toBeUndefined();
    const noCookie = Buffer.from(whole);
    noCookie.writeUInt32BE(0, 236);
    expect(parseDhcpRequest(noCookie)).toBeUndefined();
  });
});
