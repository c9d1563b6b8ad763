import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { Command } from '../../../../core/exec/command.ts';
import { EventBus, type ExecEvent } from '../../../../core/exec/events.ts';
import { CommandFailed } from '../../../../core/exec/failure.ts';
import { createRunner } from '../../../../core/exec/runner.ts';
import { applyPlan } from '../../../../core/plan/apply.ts';
import type { PlanEvent } from '../../../../core/plan/events.ts';
import { Journal } from '../../../../core/plan/journal.ts';
import { planLineLogger } from '../../../../core/plan/line-log.ts';
import type { Plan } from '../../../../core/plan/plan.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vl-plan-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A real side effect that can be counted: one line appended to a file. */
const append = (file: string, text: string): Command => ({
  tool: 'sh',
  args: ['-c', 'echo "$1" >> "$2"', 'sh', text, file],
});

/** Fails the first time (leaving a flag behind), succeeds afterwards: a crash on the first run. */
const failOnce = (flag: string): Command => ({
  tool: 'sh',
  args: ['-c', '[ -e "$1" ] || { : > "$1"; echo "disk not ready" >&2; exit 1; }', 'sh', flag],
});

function buildPlan(work: string, flaky: boolean): Plan {
  const log = join(work, 'log');
  return {
    title: 'Prepare',
    actions: [
      { id: 'a', description: 'first', commands: [append(log, 'a')] },
      {
        id: 'b',
        description: 'second',
        commands: [...(flaky ? [failOnce(join(work, 'flag'))] : []), append(log, 'b')],
      },
      { id: 'c', description: 'third', commands: [append(log, 'c1'), append(log, 'c2')] },
    ],
  };
}

const lines = async (file: string) => (await readFile(file, 'utf8')).trimEnd().split('\n');
const journalIds = async (file: string) => (await lines(file)).map((line) => JSON.parse(line).id);

test('a rerun skips completed actions: their side effects happen once', async () => {
  const journal = join(dir, 'journal');
  const plan = buildPlan(dir, false);
  await applyPlan(plan, { runner: createRunner(), journal: await Journal.open(journal) });
  const outcome = await applyPlan(plan, { runner: createRunner(), journal: await Journal.open(journal) });
  expect(outcome).toEqual({ ran: [], skipped: ['a', 'b', 'c'] });
  expect(await lines(join(dir, 'log'))).toEqual(['a', 'b', 'c1', 'c2']);
});

test('a plan stopped by a failure resumes on rerun and ends as an uninterrupted run does', async () => {
  const interrupted = join(dir, 'interrupted');
  const straight = join(dir, 'straight');
  await Promise.all([mkdir(interrupted), mkdir(straight)]);

  const first = applyPlan(buildPlan(interrupted, true), {
    runner: createRunner(),
    journal: await Journal.open(join(interrupted, 'journal')),
  });
  await expect(first).rejects.toBeInstanceOf(CommandFailed);
  await expect(first).rejects.toThrow('sh failed with exit code 1; last lines of stderr:\n  disk not ready');
  expect(await lines(join(interrupted, 'log'))).toEqual(['a']);
  expect(await journalIds(join(interrupted, 'journal'))).toEqual(['a']);

  const resumed = await applyPlan(buildPlan(interrupted, true), {
    runner: createRunner(),
    journal: await Journal.open(join(interrupted, 'journal')),
  });
  expect(resumed).toEqual({ ran: ['b', 'c'], skipped: ['a'] });

  await applyPlan(buildPlan(straight, false), {
    runner: createRunner(),
    journal: await Journal.open(join(straight, 'journal')),
  });
  expect(await lines(join(interrupted, 'log'))).toEqual(await lines(join(straight, 'log')));
  expect(await journalIds(join(interrupted, 'journal'))).toEqual(await journalIds(join(straight, 'journal')));
});

test('an action whose check finds the work done runs nothing', async () => {
  const marker = join(dir, 'marker');
  const plan: Plan = {
    title: 'Check',
    actions: [
      {
        id: 'marker',
        description: 'create the marker',
        commands: [append(join(dir, 'log'), 'ran')],
        check: async () => existsSync(marker),
      },
    ],
  };
  await createRunner().run({ tool: 'touch', args: [marker] });
  const outcome = await applyPlan(plan, {
    runner: createRunner(),
    journal: await Journal.open(join(dir, 'journal')),
  });
  expect(outcome.skipped).toEqual(['marker']);
  expect(existsSync(join(dir, 'log'))).toBe(false);
});

test('a dry run prints every action and command, runs nothing and journals nothing', async () => {
  const bus = new EventBus<ExecEvent | PlanEvent>();
  let log = '';
  bus.on(planLineLogger({ write: (text: string) => (log += text) }));
  const journal = join(dir, 'journal');
  await applyPlan(buildPlan(dir, true), {
    runner: createRunner({ dryRun: true, events: bus }),
    journal: await Journal.open(journal),
    events: bus,
  });
  expect(existsSync(join(dir, 'log'))).toBe(false);
  expect(existsSync(join(dir, 'flag'))).toBe(false);
  expect(existsSync(journal)).toBe(false);
  const shown = log.split('\n').filter((line) => line.startsWith('(dry run) $ '));
  expect(shown).toHaveLength(5);
  for (const description of ['first', 'second', 'third']) expect(log).toContain(`] ${description}\n`);
});
