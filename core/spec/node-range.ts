/**
 * Blade name ranges as cluster tools write them (Slurm, Warewulf): `node[01-16]`, `rack1-b[1-4,9]`.
 * Zero padding is kept from the first number of each part.
 */

export type RangeExpansion = { ok: true; names: string[] } | { ok: false; reason: string };

/** a generous ceiling: one range entry describing more blades than a rack could hold is a typo */
export const MAX_RANGE = 4096;

export function expandNodeRange(pattern: string): RangeExpansion {
  const open = pattern.indexOf('[');
  if (open === -1) {
    return pattern.includes(']')
      ? { ok: false, reason: `"${pattern}" has "]" without "["` }
      : { ok: true, names: [pattern] };
  }
  const close = pattern.indexOf(']', open);
  if (close === -1)
    return { ok: false, reason: `"${pattern}" has "[" without "]" (expected e.g. node[01-16])` };
  const prefix = pattern.slice(0, open);
  const suffix = pattern.slice(close + 1);
  if (suffix.includes('[') || suffix.includes(']')) {
    return { ok: false, reason: `"${pattern}" has more than one range (expected one, e.g. node[01-16])` };
  }
  const names: string[] = [];
  for (const part of pattern.slice(open + 1, close).split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match)
      return { ok: false, reason: `"${part}" in "${pattern}" is not a number or a range like 01-16` };
    const [, fromText = '', toText = fromText] = match;
    const from = Number(fromText);
    const to = Number(toText);
    if (to < from)
      return {
        ok: false,
        reason: `range ${part} in "${pattern}" runs backwards (expected ${toText}-${fromText})`,
      };
    if (names.length + (to - from + 1) > MAX_RANGE) {
      return { ok: false, reason: `"${pattern}" names more than ${MAX_RANGE} blades` };
    }
    for (let i = from; i <= to; i += 1)
      names.push(`${prefix}${String(i).padStart(fromText.length, '0')}${suffix}`);
  }
  return { ok: true, names };
}
