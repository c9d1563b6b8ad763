/** MAC addresses as 48-bit numbers, so that a range of blades can take consecutive MACs. */

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export const MAC_HINT = 'expected six hex pairs like 52:54:00:12:34:56';

export function parseMac(text: string): number | undefined {
  if (!MAC.test(text)) return undefined;
  return Number.parseInt(text.replaceAll(':', ''), 16);
}

export function formatMac(value: number): string {
  return value
    .toString(16)
    .padStart(12, '0')
    .replace(/(..)(?!$)/g, '$1:');
}

export const MAX_MAC = 2 ** 48 - 1;

/** the group bit: a multicast MAC can never be a NIC's own address */
export const isMulticast = (value: number) => Math.floor(value / 2 ** 40) % 2 === 1;
