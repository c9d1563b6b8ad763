/**
 * `virtualinux install --tui`: the guided installer on this terminal, on the install engine.
 * `--spec FILE` starts the dialogue from a spec; `--dry-run` ends it at the Review screen's
 * Install, prints the plan as `virtualinux install --dry-run` does, and writes nothing.
 */

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { render } from 'ink';
import { parse } from 'yaml';
import { UserError } from '../../core/errors.ts';
import type { Command } from '../../core/exec/command.ts';
import type { LineOutput } from '../../core/exec/line-log.ts';
import { installerInitiatorName } from '../../core/spec/derive.ts';
import { loadSpec } from '../../core/spec/load.ts';
import { readSecret } from '../../core/spec/secret.ts';
import { version } from '../../core/version.ts';
import type { Manifest } from '../../images/manifest.ts';
import type { Enlisting } from '../engine/dhcp.ts';
import { readImageManifests } from '../engine/install.ts';
import { rootShell, runInteractiveSync } from '../machine.ts';
import { App } from './app.tsx';
import { InstallEnginePort } from './engine-port.ts';
import type { EnginePort } from './port.ts';
import { seededState, type WrittenSpec } from './seed.ts';
import type { State } from './state.ts';
import { consoleName, dropWalk, keepWalk, liveWalkFile, readKeptWalk, walkOf } from './walk.ts';

export interface GuidedInvocation {
  specFile?: string;
  /** --blades FILE: blades to offer for import (CSV name,MAC or YAML) */
  bladesFile?: string;
  /** --enlist: offer the MACs of blades that ask DHCP on the cluster network */
  enlist?: boolean;
  dryRun: boolean;
  /** where the answers are kept while it runs; default: liveWalkFile of this terminal */
  walkFile?: string;
  /** where the DVD is mounted */
  medium: string;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  /** where the dry run's plan is printed, once the screen is left */
  out: LineOutput;
  env?: NodeJS.ProcessEnv;
}

/** the dialogue's start from a spec file: loadSpec checks it, the screens edit it as written */
function fromSpec(file: string, images: Record<string, Manifest>, env?: NodeJS.ProcessEnv) {
  const spec = loadSpec(file);
  const written = parse(readFileSync(file, 'utf8')) as WrittenSpec;
  let secret = '';
  if (spec.san.chap) {
    try {
      secret = readSecret({ ref: spec.san.chap.secret, field: 'san.chap.secret' }, env);
    } catch (error) {
      // not readable here: the SAN screen asks for it
      if (!(error instanceof UserError)) throw error;
    }
  }
  return { spec, state: seededState(written, images, secret) };
}

interface Ending {
  /** --dry-run: Install was pressed on the Review screen */
  reviewed: boolean;
  /** the install ran and did not finish: it failed or was stopped */
  failed: boolean;
}

/** the port as the dialogue uses it here: a dry run leaves at Install; an install's ending is noted */
function wired(port: EnginePort, dryRun: boolean, ending: Ending, leave: () => void): EnginePort {
  return {
    observeNetwork: () => port.observeNetwork(),
    discoverSan: (request) => port.discoverSan(request),
    plan: (request) => port.plan(request),
    saveToUsb: (text) => port.saveToUsb(text),
    apply: (events, signal) => {
      if (dryRun) {
        ending.reviewed = true;
        leave();
        return Promise.reject(new UserError('dry run: nothing was written'));
      }
      return port.apply(events, signal).catch((error: unknown) => {
        ending.failed = true;
        throw error;
      });
    },
  };
}

/** the dialogue on a terminal, with its port and where it starts */
export interface Dialogue extends Pick<GuidedInvocation, 'dryRun' | 'stdin' | 'stdout' | 'out' | 'env'> {
  port: EnginePort & Pick<InstallEnginePort, 'reviewedTranscript'>;
  images: Record<string, Manifest>;
  initial?: State;
  /** what `!` runs: a root login shell */
  shell?: Command;
  /** blades offered for import on the Cluster screen: a file's text, and its name */
  importText?: { label: string; text: string };
  /** starts hearing blades' DHCP requests; each new MAC is offered on the Cluster screen */
  enlist?: (onMac: (mac: string) => void) => Promise<Enlisting>;
  /** where the answers so far are kept while it runs (walk.ts); a walk found there is the start */
  walkFile?: string;
}

/** the terminal cleared, the cursor home */
const CLEAR = '\u001B[2J\u001B[H';

/**
 * `!`: a root shell on the dialogue's terminal, the screen left as it is drawn again after it.
 * Keys go to the shell only: the installer's event loop waits for it (runInteractiveSync).
 */
function shellOn(dialogue: Pick<Dialogue, 'stdin' | 'stdout' | 'shell'>): number {
  const { stdin, stdout } = dialogue;
  stdin.setRawMode?.(false);
  stdout.write(`${CLEAR}A root shell. The installer waits: type exit to come back to it.\n`);
  try {
    return runInteractiveSync(dialogue.shell ?? rootShell);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return 127;
  } finally {
    stdin.setRawMode?.(true);
    stdout.write(CLEAR);
  }
}

/** resolves to the exit code when the administrator leaves: 1 when an install started and did not finish */
export async function guide(dialogue: Dialogue): Promise<number> {
  const { port, dryRun, env, importText, walkFile } = dialogue;
  // a guided installer that died left its answers: they are the start, the secret as the boot gave it
  const kept = walkFile === undefined ? undefined : readKeptWalk(walkFile);
  const initial = kept
    ? seededState(kept.spec, dialogue.images, dialogue.initial?.values.secret ?? '')
    : dialogue.initial;
  // once left, the walk is dropped and stays so: an answer of the engine that comes after (a look
  // at the network still under way) changes the model, and must not keep the walk again
  let left = false;
  const keep =
    walkFile === undefined
      ? undefined
      : (state: State) => {
          if (!left) keepWalk(walkFile, walkOf(state, new Date()));
        };
  const ending: Ending = { reviewed: false, failed: false };
  const enlisted: string[] = [];
  const dialogueOn = () => (
    <App
      port={wired(port, dryRun, ending, () => app.unmount())}
      version={dryRun ? `${version()} (dry run)` : version()}
      images={dialogue.images}
      onShell={() => shellOn(dialogue)}
      onExit={() => {
        left = true;
      }}
      enlisted={[...enlisted]}
      {...(importText && { importText })}
      {...(initial && { initial })}
      {...(kept && { resumed: kept })}
      {...(keep && { onWalk: keep })}
      {...(env && { env })}
    />
  );
  // before the first screen. Enlisting is an offer, not a need: where UDP 67 cannot be had (the
  // guided installer already runs on the other console), blades are added by range or import
  const enlisting = await dialogue
    .enlist?.((mac) => {
      enlisted.push(mac);
      app.rerender(dialogueOn());
    })
    .catch((error: unknown) => {
      if (error instanceof UserError) return undefined;
      throw error;
    });
  // raw before the first frame is drawn: a Ctrl-C typed as it appears is the App's key, not a
  // SIGINT from a terminal still cooked (Ink makes it raw only once its input hook has mounted)
  dialogue.stdin.setRawMode?.(true);
  const app = render(
    dialogueOn(),
    // Ctrl-C is the App's (it asks first); nothing here writes to the console, which stays as it is
    { stdin: dialogue.stdin, stdout: dialogue.stdout, exitOnCtrlC: false, patchConsole: false },
  );
  try {
    await app.waitUntilExit();
    // left, or installed: the next start is a new walk
    left = true;
    if (walkFile !== undefined) dropWalk(walkFile);
  } finally {
    await enlisting?.close();
  }
  if (ending.reviewed) {
    for (const line of port.reviewedTranscript()) dialogue.out.write(`${line}\n`);
    dialogue.out.write('dry run: nothing was written\n');
  }
  return ending.failed ? 1 : 0;
}

export function runGuided(invocation: GuidedInvocation): Promise<number> {
  const { env } = invocation;
  const images = readImageManifests(invocation.medium);
  const seed = invocation.specFile === undefined ? undefined : fromSpec(invocation.specFile, images, env);
  const port = new InstallEnginePort({
    medium: invocation.medium,
    ...(seed && { initiator: installerInitiatorName(seed.spec) }),
    ...(env && { env }),
  });
  const importText = invocation.bladesFile === undefined ? undefined : bladesOffered(invocation.bladesFile);
  const { enlist, ...rest } = invocation;
  return guide({
    ...rest,
    port,
    images,
    ...(seed && { initial: seed.state }),
    ...(importText && { importText }),
    ...(enlist && { enlist: (onMac: (mac: string) => void) => port.enlist(onMac) }),
    // a dry run writes nothing, its walk neither
    ...(!invocation.dryRun && { walkFile: invocation.walkFile ?? liveWalkFile(consoleName()) }),
  });
}

/** --blades FILE, read before the first screen: a file that cannot be read is said at once */
function bladesOffered(file: string): { label: string; text: string } {
  try {
    return { label: basename(file), text: readFileSync(file, 'utf8') };
  } catch (error) {
    throw new UserError(
      `--blades ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      'give a file of blades: CSV lines name,MAC (node01,52:54:00:42:00:01) or a YAML list of {name, mac}',
    );
  }
}
