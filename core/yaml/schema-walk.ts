/** What the schema allows at a place in a document: the known keys, for "did you mean" hints. */
import type { z } from 'zod';
import type { ProblemPath } from './problems.ts';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string>;
}

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** the schema with its optional/default/pipe wrappers taken off */
function unwrap(schema: z.ZodType): z.ZodType {
  const def = defOf(schema);
  const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
  return inner ? unwrap(inner) : schema;
}

function step(schema: z.ZodType, part: string | number): z.ZodType | undefined {
  const def = defOf(unwrap(schema));
  if (def.type === 'union') {
    return def.options?.map((option) => step(option, part)).find((found) => found !== undefined);
  }
  if (typeof part === 'number') return def.type === 'array' ? def.element : undefined;
  if (def.type === 'object') return def.shape?.[part];
  if (def.type === 'record') return def.valueType;
  return undefined;
}

function keysOf(schema: z.ZodType): string[] {
  const def = defOf(unwrap(schema));
  if (def.type === 'union') return [...new Set(def.options?.flatMap(keysOf))];
  if (def.type === 'object') return Object.keys(def.shape ?? {});
  if (def.type === 'record' && def.keyType) {
    const keyDef = defOf(unwrap(def.keyType));
    return keyDef.entries ? Object.values(keyDef.entries) : [];
  }
  return [];
}

/** the keys the schema knows at a path; for a union, those of every option */
export function knownKeysAt(schema: z.ZodType, path: ProblemPath): string[] {
  let current: z.ZodType | undefined = schema;
  for (const part of path) {
    current = current && step(current, part);
  }
  return current ? keysOf(current) : [];
}
