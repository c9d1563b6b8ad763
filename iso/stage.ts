/**
 * A DVD stage: named actions that write a directory of outputs, cached by the hash of everything
 * the stage reads (mkosi's model). A stage whose inputs are unchanged is not run; a stage stopped
 * midway resumes from its journal; a finished stage directory appears by one rename, so a cached
 * stage is always whole. Older outputs of the same stage are removed once a new one is whole.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventSink } from '../core/exec/events.ts';
import type { Runner } from '../core/exec/runner.ts';
import { applyPlan } from '../core/plan/apply.ts';
import { inputHash } from '../core/plan/input-hash.ts';
import { Journal } from '../core/plan/journal.ts';
import type { Action } from '../core/plan/plan.ts';
import type { DvdEvent } from './events.ts';

export interface Stage {
  name: string;
  /** JSON data naming every input by content (sha256 of files, versions, options) */
  inputs: unknown;
  /** the actions that write the stage's outputs into `dir` (empty when they start) */
  actions(dir: string): Action[];
}

export interface StageResult {
  name: string;
  key: string;
  dir: string;
  cached: boolean;
  ms: number;
}

export interface StageOptions {
  /** <cache>/dvd */
  root: string;
  runner: Runner;
  events: EventSink<DvdEvent>;
}

const DONE = '.done';

export const stageKey = (stage: Stage) => inputHash({ stage: stage.name, inputs: stage.inputs }).slice(7, 23);

export async function runStage(stage: Stage, { root, runner, events }: StageOptions): Promise<StageResult> {
  const started = performance.now();
  const key = stageKey(stage);
  const stageDir = join(root, stage.name);
  const dir = join(stageDir, key);
  const result = (cached: boolean): StageResult => ({
    name: stage.name,
    key,
    dir,
    cached,
    ms: Math.round(performance.now() - started),
  });
  if (existsSync(join(dir, DONE))) {
    events.emit({ type: 'stage', name: stage.name, state: 'cached', key });
    return result(true);
  }
  const work = `${dir}.partial`;
  if (runner.dryRun) {
    await applyPlan(
      { title: `stage ${stage.name}`, actions: stage.actions(work) },
      { runner, journal: await Journal.open('/dev/null'), events },
    );
    return result(false);
  }
  mkdirSync(work, { recursive: true });
  const journal = await Journal.open(join(work, '.journal'));
  await applyPlan(
    { title: `stage ${stage.name}`, actions: stage.actions(work) },
    { runner, journal, events },
  );
  rmSync(join(work, '.journal'), { force: true });
  await runner.run({ tool: 'touch', args: [join(work, DONE)] });
  if (existsSync(dir)) await runner.run({ tool: 'rm', args: ['-rf', '--one-file-system', dir] });
  await rename(work, dir);
  for (const entry of readdirSync(stageDir)) {
    if (entry !== key)
      await runner.run({ tool: 'rm', args: ['-rf', '--one-file-system', join(stageDir, entry)] });
  }
  events.emit({ type: 'stage', name: stage.name, state: 'built', key });
  return result(false);
}
