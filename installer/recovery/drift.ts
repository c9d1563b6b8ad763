/**
 * What a blade changed relative to factory (ARCHITECTURE §3: "what did this blade change" = list its
 * upper layer). A blade's root is overlayfs(lower = img_node, upper = node_<name>/root), so every
 * change it made is an entry of the upper directory, in overlayfs' own terms:
 *   - a whiteout (character device 0:0) hides the lower entry of that name: deleted;
 *   - a directory marked opaque (xattr trusted.overlay.opaque="y") hides everything the lower one
 *     held: the directory was removed and made again (replaced), what it holds now is added;
 *   - any other entry that the lower has too was copied up: its contents or metadata changed;
 *   - an entry the lower lacks was added.
 * Read with both volumes mounted read-only; `virtualinux drift` shows this before a reset, so that
 * nobody discards work without knowing.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../../core/exec/command.ts';

export type DriftChange = 'added' | 'changed' | 'deleted' | 'replaced';
export type EntryKind = 'file' | 'directory' | 'symlink' | 'other';

export interface DriftEntry {
  /** from the root of the blade's filesystem: /etc/fstab */
  path: string;
  change: DriftChange;
  /** what the entry is now; for a deletion, what it was */
  kind: EntryKind;
  /** a file's size now (for a deletion: the size it had in the image); 0 for the others */
  bytes: number;
}

/** the opaque directories of an upper layer, as getfattr dumps them (only that attribute) */
export const opaqueDirsCommand = (upper: string): Command => ({
  tool: 'getfattr',
  args: [
    '--recursive',
    '--physical',
    '--absolute-names',
    '--dump',
    '--match',
    '^trusted\\.overlay\\.opaque$',
    '--encoding',
    'text',
    upper,
  ],
});

/** getfattr escapes a name's unprintable bytes (and backslash) as \ooo */
const unescapeName = (text: string) =>
  Buffer.from(
    text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8))),
    'latin1',
  ).toString('utf8');

/**
 * The directories getfattr reports opaque, relative to `upper` ("/d" for UPPER/d). Only
 * `trusted.overlay.opaque="y"` counts: overlayfs writes "x" on a directory that merely has
 * whiteouts below it (a cache, not a change).
 */
export function parseOpaqueDirs(output: string, upper: string): Set<string> {
  const opaque = new Set<string>();
  let file: string | undefined;
  for (const line of output.split('\n')) {
    const header = /^# file: (.*)$/.exec(line);
    if (header) {
      file = unescapeName(header[1] ?? '');
      continue;
    }
    if (file !== undefined && /^trusted\.overlay\.opaque="y"$/.test(line)) {
      const relative =
        file === upper ? '/' : file.startsWith(`${upper}/`) ? file.slice(upper.length) : undefined;
      if (relative !== undefined) opaque.add(relative);
    }
  }
  return opaque;
}

const kindOf = (stats: Stats): EntryKind =>
  stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : stats.isSymbolicLink() ? 'symlink' : 'other';
const isWhiteout = (stats: Stats) => stats.isCharacterDevice() && stats.rdev === 0;
const sizeOf = (stats: Stats) => (stats.isFile() ? stats.size : 0);

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Every change the upper directory holds over the lower one, sorted by path. `opaque` is what
 * parseOpaqueDirs read from the same upper directory.
 */
export function driftOf(upper: string, lower: string, opaque: ReadonlySet<string>): DriftEntry[] {
  const entries: DriftEntry[] = [];
  // `hidden`: the lower's entries here do not show through (below an added or opaque directory)
  const walk = (relative: string, hidden: boolean) => {
    const names = readdirSync(join(upper, relative)).sort();
    for (const name of names) {
      const path = `${relative === '/' ? '' : relative}/${name}`;
      const stats = lstatSync(join(upper, path));
      const below = hidden ? undefined : lstatOrUndefined(join(lower, path));
      if (isWhiteout(stats)) {
        if (below) entries.push({ path, change: 'deleted', kind: kindOf(below), bytes: sizeOf(below) });
        continue;
      }
      const kind = kindOf(stats);
      const replaced = below !== undefined && (opaque.has(path) || kindOf(below) !== kind);
      const change: DriftChange = !below ? 'added' : replaced ? 'replaced' : 'changed';
      if (kind === 'directory') {
        // a directory the lower has too is copied up whenever something below it changes: not itself a change
        if (change !== 'changed') entries.push({ path, change, kind, bytes: 0 });
        walk(path, hidden || change !== 'changed');
        continue;
      }
      entries.push({ path, change, kind, bytes: sizeOf(stats) });
    }
  };
  walk('/', false);
  return entries;
}

export interface DriftSummary {
  entries: number;
  byChange: Record<DriftChange, { entries: number; bytes: number }>;
}

export function summariseDrift(entries: DriftEntry[]): DriftSummary {
  const byChange: DriftSummary['byChange'] = {
    added: { entries: 0, bytes: 0 },
    changed: { entries: 0, bytes: 0 },
    deleted: { entries: 0, bytes: 0 },
    replaced: { entries: 0, bytes: 0 },
  };
  for (const entry of entries) {
    byChange[entry.change].entries += 1;
    byChange[entry.change].bytes += entry.bytes;
  }
  return { entries: entries.length, byChange };
}
