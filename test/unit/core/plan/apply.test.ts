import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { Command } from '../../../../core/exec/command.ts';
import { EventBus, type ExecEvent } from '../../../../core/exec/events.ts';
import { createRunner, type Runner } from '../../../../core/exec/runner.ts';
import { applyPlan } from '../../../../core/plan/apply.ts';
import type { PlanEvent } from '../../../../core/plan/events.ts';
import { inputHash } from '../../../../core/plan/input-hash.ts';
import { Journal } from '../../../../core/plan/journal.ts';
import type { Plan } from '../../../../core/plan/plan.ts';

let dir: string;
let journalPath: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vl-apply-'));
  journalPath = join(dir, 'journal');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A runner that records what it is asked to run and fails on a chosen tool. */
function recordingRunner(failOn?: string): Runner & { ran: string[] } {
  const ran: string[] = [];
  return {
    dryRun: false,
    ran,
    async run(command: Command) {
      if (command.tool === failOn) throw new Error(`${command.tool} failed`);
      ran.push([command.tool, ...command.args].join(' '));
      return { exitCode: 0, stdout: '', stderr: '' };
    },
  };
}

const cmd = (tool: string, ...args: string[]): Command => ({ tool, args });

function plan(size = '4G'): Plan {
  return {
    title: 'Prepare the SAN',
    actions: [
      { id: 'pv', description: 'Initialise the LUN', commands: [cmd('pvcreate', '/dev/sdb')] },
      {
        id: 'vg',
        description: 'Create the volume group',
        commands: [cmd('vgcreate', 'vl_lab', '/dev/sdb')],
      },
      {
        id: 'lv',
        description: 'Create the blade volume',
        commands: [cmd('lvcreate', '-L', size, 'vl_lab'), cmd('mkfs.ext4', '/dev/vl_lab/node_n1')],
        inputs: { size },
      },
    ],
  };
}

test('runs every command in order and journals every action', async () => {
  const runner = recordingRunner();
  const outcome = await applyPlan(plan(), { runner, journal: await Journal.open(journalPath) });
  expect(runner.ran).toEqual([
    'pvcreate /dev/sdb',
    'vgcreate vl_lab /dev/sdb',
    'lvcreate -L 4G vl_lab',
    'mkfs.ext4 /dev/vl_lab/node_n1',
  ]);
  expect(outcome).toEqual({ ran: ['pv', 'vg', 'lv'], skipped: [] });
});

test('a rerun skips what the journal has; a changed input runs that action again', async () => {
  await applyPlan(plan(), { runner: recordingRunner(), journal: await Journal.open(journalPath) });

  const again = recordingRunner();
  const outcome = await applyPlan(plan(), { runner: again, journal: await Journal.open(journalPath) });
  expect(again.ran).toEqual([]);
  expect(outcome.skipped).toEqual(['pv', 'vg', 'lv']);

  const resized = recordingRunner();
  await applyPlan(plan('8G'), { runner: resized, journal: await Journal.open(journalPath) });
  expect(resized.ran).toEqual(['lvcreate -L 8G vl_lab', 'mkfs.ext4 /dev/vl_lab/node_n1']);
});

test('an action whose check finds it done is skipped and journaled', async () => {
  const runner = recordingRunner();
  const checked: Plan = {
    title: 'Check',
    actions: [
      { id: 'pv', description: 'Initialise the LUN', commands: [cmd('pvcreate')], check: async () => true },
    ],
  };
  const events: PlanEvent[] = [];
  await applyPlan(checked, {
    runner,
    journal: await Journal.open(journalPath),
    events: { emit: (e) => events.push(e) },
  });
  expect(runner.ran).toEqual([]);
  expect(events.find((e) => e.type === 'action-skip')).toMatchObject({ reason: 'check', id: 'pv' });
  expect((await Journal.open(journalPath)).isDone('pv', inputHash(undefined))).toBe(true);
});

test('a failing command stops the plan, keeping in the journal what was done before it', async () => {
  const events: PlanEvent[] = [];
  const failing = applyPlan(plan(), {
    runner: recordingRunner('vgcreate'),
    journal: await Journal.open(journalPath),
    events: { emit: (e) => events.push(e) },
  });
  await expect(failing).rejects.toThrow('vgcreate failed');
  expect(events.map((e) => `${e.type}${'id' in e ? ` ${e.id}` : ''}`)).toEqual([
    'plan-start',
    'action-start pv',
    'action-end pv',
    'action-start vg',
    'action-failed vg',
  ]);

  const resumed = recordingRunner();
  await applyPlan(plan(), { runner: resumed, journal: await Journal.open(journalPath) });
  expect(resumed.ran[0]).toBe('vgcreate vl_lab /dev/sdb');
});

test('a dry run shows every action and command, runs no check and journals nothing', async () => {
  const journal = await Journal.open(journalPath);
  await journal.markDone('pv', 'sha256:whatever');
  let checks = 0;
  const dry: Plan = {
    ...plan(),
    actions: plan().actions.map((a) => ({ ...a, check: async () => ++checks > 0 })),
  };
  const bus = new EventBus<ExecEvent | PlanEvent>();
  const seen: string[] = [];
  bus.on((e) => seen.push(e.type === 'dry-run' ? `$ ${e.command.tool}` : e.type));

  await applyPlan(dry, { runner: createRunner({ dryRun: true, events: bus }), journal, events: bus });
  expect(checks).toBe(0);
  expect(seen).toEqual([
    'plan-start',
    'action-start',
    '$ pvcreate',
    'action-end',
    'action-start',
    '$ vgcreate',
    'action-end',
    'action-start',
    '$ lvcreate',
    '$ mkfs.ext4',
    'action-end',
    'plan-end',
  ]);
  expect((await readFile(journalPath, 'utf8')).trimEnd().split('\n')).toHaveLength(1);
});

test('two actions with the same id are a planner bug, refused before anything runs', async () => {
  const runner = recordingRunner();
  const pv = { id: 'pv', description: 'Initialise the LUN', commands: [cmd('pvcreate', '/dev/sdb')] };
  const twice: Plan = { title: 'Twice', actions: [pv, { ...pv, description: 'Again' }] };
  await expect(applyPlan(twice, { runner, journal: await Journal.open(journalPath) })).rejects.toThrow(
    /two actions with id "pv"/,
  );
  expect(runner.ran).toEqual([]);
});
