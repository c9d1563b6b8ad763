/**
 * IPv4 addresses and networks as 32-bit numbers: enough for cluster and fabric addressing,
 * with messages that say what is wrong with a given text.
 */

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export interface Ipv4Network {
  /** the network address, e.g. 10.42.0.0 as a number */
  base: number;
  prefix: number;
  /** number of addresses in the network, network and broadcast included */
  size: number;
  text: string;
}

export type CidrParse = { ok: true; network: Ipv4Network } | { ok: false; reason: string };

export function parseCidr(text: string): CidrParse {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!match)
    return { ok: false, reason: `"${text}" is not a network (expected ADDRESS/PREFIX like 10.42.0.0/24)` };
  const [, addressText = '', prefixText = ''] = match;
  const address = parseIpv4(addressText);
  const prefix = Number(prefixText);
  if (address === undefined)
    return { ok: false, reason: `"${addressText}" in "${text}" is not an IPv4 address` };
  if (prefix < 8 || prefix > 30) {
    return { ok: false, reason: `prefix /${prefix} in "${text}" is out of range (expected /8 to /30)` };
  }
  const size = 2 ** (32 - prefix);
  const base = address - (address % size);
  if (base !== address) {
    return {
      ok: false,
      reason: `"${text}" has host bits set (expected the network address: ${formatIpv4(base)}/${prefix})`,
    };
  }
  return { ok: true, network: { base, prefix, size, text } };
}

export const contains = (net: Ipv4Network, address: number) =>
  address >= net.base && address < net.base + net.size;

/** a host address: inside the network and neither its network nor its broadcast address */
export const isHostOf = (net: Ipv4Network, address: number) =>
  address > net.base && address < net.base + net.size - 1;

export const broadcast = (net: Ipv4Network) => net.base + net.size - 1;

export function netmask(net: Ipv4Network): string {
  return formatIpv4(2 ** 32 - net.size);
}
