/**
 * The blades of the cluster as the Cluster screen gathers them: a range and its first MAC
 * (expanded by the spec's own range rules), MACs that appeared on the network (enlisted), and
 * lists imported from a YAML or CSV text.
 */
import { parse } from 'yaml';
import { formatMac, parseMac } from '../../core/spec/mac.ts';
import { expandNodeRange } from '../../core/spec/node-range.ts';
import { Mac, NodeNames } from '../../core/spec/primitives.ts';
import type { NodeDraft } from './draft.ts';

/** the spec's message for a value of one of its types, or undefined when it holds; empty is missing */
function typeProblem(type: typeof NodeNames | typeof Mac, text: string): string | undefined {
  const result = type.safeParse(text.trim() === '' ? undefined : text.trim());
  return result.success ? undefined : result.error.issues[0]?.message;
}

export interface RangeEntryProblems {
  range?: string;
  firstMac?: string;
}

/** what is wrong with a range and its first MAC, in the spec's words */
export function rangeEntryProblems(range: string, firstMac: string): RangeEntryProblems {
  const rangeProblem = typeProblem(NodeNames, range);
  const macProblem = typeProblem(Mac, firstMac);
  return {
    ...(rangeProblem !== undefined && { range: rangeProblem }),
    ...(macProblem !== undefined && { firstMac: macProblem }),
  };
}

/** the blade names of an entry, or undefined when its name is not a valid range */
export function entryNames(entry: NodeDraft): string[] | undefined {
  if (typeof entry.name !== 'string') return undefined;
  const expanded = expandNodeRange(entry.name);
  return expanded.ok ? expanded.names : undefined;
}

/** the MACs an entry gives its blades: macs as listed, or consecutive ones from mac */
export function entryMacs(entry: NodeDraft): string[] {
  if (Array.isArray(entry.macs)) return entry.macs.filter((m): m is string => typeof m === 'string');
  const first = typeof entry.mac === 'string' ? parseMac(entry.mac) : undefined;
  if (first === undefined) return [];
  const count = entryNames(entry)?.length ?? 1;
  return Array.from({ length: count }, (_, i) => formatMac(first + i));
}

/** "node01 … node16, 52:54:00:42:00:01 … 52:54:00:42:00:10": what an entry expands to */
export function describeEntry(entry: NodeDraft): string {
  const names = entryNames(entry);
  const macs = entryMacs(entry);
  const span = (items: string[]) =>
    items.length <= 1 ? (items[0] ?? '') : `${items[0]} … ${items[items.length - 1]}`;
  const count = names ? `${names.length} blade${names.length === 1 ? '' : 's'}` : 'not a range';
  return [count, names && names.length > 1 ? span(names) : undefined, macs.length > 0 ? span(macs) : 'no MAC']
    .filter(Boolean)
    .join(', ');
}

/** the MACs that appeared but are no blade's yet */
export function newMacs(enlisted: readonly string[], nodes: readonly NodeDraft[]): string[] {
  const known = new Set(nodes.flatMap(entryMacs).map((m) => m.toLowerCase()));
  return [...new Set(enlisted.map((m) => m.toLowerCase()))].filter((m) => !known.has(m));
}

/** the name after the last blade's: node03 → node04, keeping the padding; node01 for the first */
export function nextBladeName(nodes: readonly NodeDraft[]): string {
  const names = new Set(nodes.flatMap((entry) => entryNames(entry) ?? []));
  const last = [...names].at(-1);
  const match = last === undefined ? undefined : /^(.*?)(\d+)$/.exec(last);
  const prefix = match?.[1] ?? 'node';
  const digits = match?.[2] ?? '00';
  for (let n = Number(digits) + 1; ; n += 1) {
    const name = `${prefix}${String(n).padStart(digits.length, '0')}`;
    if (!names.has(name)) return name;
  }
}

export type BladeImport = { ok: true; entries: NodeDraft[] } | { ok: false; reason: string };

const CSV_COLUMNS = ['name', 'mac', 'ip', 'sifMac', 'sifIp'] as const;

/** name,mac[,ip[,sifMac[,sifIp]]] a line; a first line starting with "name" is a header; # comments */
function importCsv(lines: string[]): BladeImport {
  const rows = lines.map((line) => line.split(',').map((cell) => cell.trim()));
  const header = rows[0]?.[0]?.toLowerCase() === 'name' ? rows.shift() : undefined;
  const columns = header ?? CSV_COLUMNS;
  const entries = rows.map((cells) => {
    const entry: Record<string, string> = {};
    cells.forEach((cell, i) => {
      const column = columns[i];
      if (column && cell !== '') entry[column] = cell;
    });
    return entry as NodeDraft;
  });
  return entries.length > 0 ? { ok: true, entries } : { ok: false, reason: 'the CSV text lists no blade' };
}

const isEntry = (value: unknown): value is NodeDraft =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** a nodes list, or a whole cluster.yaml (its nodes are taken) */
function importYaml(text: string): BladeImport {
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    const first = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    return { ok: false, reason: `not YAML: ${first}` };
  }
  const list = isEntry(data) && Array.isArray(data.nodes) ? data.nodes : data;
  if (!Array.isArray(list) || !list.every(isEntry)) {
    return {
      ok: false,
      reason: 'expected a list of blades (- name: node01, mac: ...), a cluster.yaml, or CSV lines name,mac',
    };
  }
  return list.length > 0
    ? { ok: true, entries: list }
    : { ok: false, reason: 'the YAML text lists no blade' };
}

/** blades from a text the administrator brought: CSV lines or YAML; the spec checker judges each entry */
export function importBlades(text: string): BladeImport {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const csv = lines.length > 0 && lines.every((line) => line.includes(',') && !/^[-{[]|:\s/.test(line));
  return csv ? importCsv(lines) : importYaml(text);
}
