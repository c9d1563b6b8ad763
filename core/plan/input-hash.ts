/** The fingerprint of an action's inputs, stable under key order, recorded in the journal. */
import { createHash } from 'node:crypto';

function canonical(value: unknown): unknown {
  if (
    value !== null &&
    typeof value === 'object' &&
    'toJSON' in value &&
    typeof value.toJSON === 'function'
  ) {
    return canonical(value.toJSON());
  }
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return Object.fromEntries(keys.map((key) => [key, canonical((value as Record<string, unknown>)[key])]));
  }
  return value;
}

/** Inputs are plain JSON data; undefined hashes like null. */
export function inputHash(inputs: unknown): string {
  const json = JSON.stringify(canonical(inputs ?? null)) ?? 'null';
  return `sha256:${createHash('sha256').update(json).digest('hex')}`;
}
