/** Sizes as administrators write them (LVM style: 512M, 4G, 4GiB) and as people read them. */

const UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  K: 2 ** 10,
  M: 2 ** 20,
  G: 2 ** 30,
  T: 2 ** 40,
  P: 2 ** 50,
};

export type SizeParse = { ok: true; bytes: number } | { ok: false; reason: string };

export function parseSize(input: string | number): SizeParse {
  if (typeof input === 'number') {
    return Number.isSafeInteger(input) && input > 0
      ? { ok: true, bytes: input }
      : {
          ok: false,
          reason: `${input} is not a size (expected a positive whole number of bytes or e.g. 4GiB)`,
        };
  }
  const match = /^(\d+(?:\.\d+)?)\s*([KMGTP]?)(i?B)?$/i.exec(input.trim());
  const unit = match?.[2]?.toUpperCase() ?? '';
  const suffix = match?.[3];
  // "4GB" is ambiguous (SI or binary?); LVM reads G as GiB, so we accept 4G and 4GiB only.
  if (
    !match ||
    (suffix === 'B' && unit !== '') ||
    (suffix !== undefined && suffix !== 'B' && suffix !== 'iB')
  ) {
    return {
      ok: false,
      reason: `"${input}" is not a size (expected a number and a binary unit: 512MiB, 4GiB, 4G)`,
    };
  }
  if (suffix === 'iB' && unit === '')
    return { ok: false, reason: `"${input}" is not a size (expected e.g. 4GiB)` };
  const bytes = Math.round(Number(match[1]) * (UNITS[unit] ?? 1));
  if (bytes <= 0) return { ok: false, reason: `"${input}" is zero (expected a positive size)` };
  return { ok: true, bytes };
}

export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const text = unit === 0 || Number.isInteger(value) ? String(value) : value.toFixed(1).replace(/\.0$/, '');
  return `${text} ${units[unit]}`;
}
