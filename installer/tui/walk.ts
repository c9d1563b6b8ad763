/**
 * The guided installer's answers so far, kept while it runs: the spec the screens have made (as
 * cluster.yaml would hold it: the CHAP secret is never in it, only the file it goes to) and the
 * screen reached. A guided installer that died (a crash, a kill) starts again from them; leaving
 * it, or an install it finished, drops them. On the live system the file is in /run (RAM): a
 * reboot forgets it, as it forgets the install's own work directory.
 */
import { mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parse } from 'yaml';
import { specYaml } from './draft.ts';
import { type ScreenId, WIZARD } from './fields.ts';
import type { WrittenSpec } from './seed.ts';
import type { State } from './state.ts';

/**
 * where the live system keeps the walk of the guided installer on a console (one may run on each:
 * the menu's `i`): `/run/virtualinux/guided-walk-ttyS0.json`; without a terminal's name, one file
 */
export function liveWalkFile(tty: string | undefined): string {
  return `/run/virtualinux/guided-walk${tty ? `-${tty.replaceAll('/', '-')}` : ''}.json`;
}

/** the terminal on stdin as /dev names it (`ttyS0`, `pts/3`), where /proc tells */
export function consoleName(): string | undefined {
  try {
    const link = readlinkSync('/proc/self/fd/0');
    return link.startsWith('/dev/') ? link.slice('/dev/'.length) : undefined;
  } catch {
    return undefined;
  }
}

export interface KeptWalk {
  /** the wizard screen it was on (the install's progress and Done count as the Review) */
  screen: ScreenId;
  /** the spec as the screens made it, possibly incomplete */
  spec: Partial<WrittenSpec>;
  /** when it was kept, ISO 8601 */
  at: string;
}

/** the walk of this state: the screens after Review (the install's progress, Done) are Review's */
export function walkOf(state: State, at: Date): KeptWalk {
  const screen = WIZARD.includes(state.screen) ? state.screen : 'review';
  return { screen, spec: parse(specYaml(state.spec)) as Partial<WrittenSpec>, at: at.toISOString() };
}

/**
 * Writes it (mode 0600, through a rename, so a crash mid-write leaves the one before). Best
 * effort: a guided installer that cannot keep its walk (no /run/virtualinux, not root) goes on.
 */
export function keepWalk(file: string, walk: KeptWalk): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.new`, `${JSON.stringify(walk)}\n`, { mode: 0o600 });
    renameSync(`${file}.new`, file);
  } catch {
    // nothing kept: a crash then starts from the beginning, as it did before walks were kept
  }
}

/** the walk a guided installer left, when there is one that reads as one; anything else is no walk */
export function readKeptWalk(file: string): KeptWalk | undefined {
  let walk: Partial<KeptWalk>;
  try {
    walk = JSON.parse(readFileSync(file, 'utf8')) as Partial<KeptWalk>;
  } catch {
    return undefined;
  }
  const { screen, spec, at } = walk;
  if (typeof screen !== 'string' || !WIZARD.includes(screen as ScreenId)) return undefined;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec) || typeof at !== 'string')
    return undefined;
  return { screen: screen as ScreenId, spec, at };
}

export function dropWalk(file: string): void {
  rmSync(file, { force: true });
}
