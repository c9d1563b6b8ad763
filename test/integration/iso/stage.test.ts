/** DVD stages with real commands: cached by their inputs, resumed after a failure, whole or absent. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ignoreEvents } from '../../../core/exec/events.ts';
import { createRunner } from '../../../core/exec/runner.ts';
import { runStage, type Stage } from '../../../iso/stage.ts';

const root = mkdtempSync(join(tmpdir(), 'vl-stage-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const options = { root, runner: createRunner(), events: ignoreEvents };

/** a stage that writes its input into out.txt, and counts its runs in a file outside the cache */
const counter = join(root, 'runs');
const stage = (text: string, fail = false): Stage => ({
  name: 'demo',
  inputs: { text },
  actions: (dir) => [
    {
      id: 'write',
      description: 'write the text',
      commands: [
        { tool: 'sh', args: ['-c', 'echo "$1" > "$2/out.txt"; echo run >> "$3"', 'sh', text, dir, counter] },
      ],
    },
    {
      id: 'maybe-fail',
      description: 'fail when asked',
      commands: [{ tool: fail ? 'false' : 'true', args: [] }],
    },
  ],
});
const runs = () =>
  existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0;

test('a stage runs once; the same inputs again are cached', async () => {
  const first = await runStage(stage('one'), options);
  expect(first.cached).toBe(false);
  expect(readFileSync(join(first.dir, 'out.txt'), 'utf8')).toBe('one\n');
  const again = await runStage(stage('one'), options);
  expect(again).toMatchObject({ cached: true, dir: first.dir, key: first.key });
  expect(runs()).toBe(1);
});

test('other inputs make another key; the older output is removed once the new one is whole', async () => {
  const before = await runStage(stage('one'), options);
  const other = await runStage(stage('two'), options);
  expect(other.key).not.toBe(before.key);
  expect(readdirSync(join(root, 'demo'))).toEqual([other.key]);
});

test('a failed stage leaves no output; the rerun resumes after the actions that succeeded', async () => {
  await expect(runStage(stage('three', true), options)).rejects.toThrow(/false failed with exit code 1/);
  const entries = readdirSync(join(root, 'demo'));
  expect(entries.some((entry) => entry.endsWith('.partial'))).toBe(true);
  const counted = runs();
  // same inputs, the failing action fixed: the journal skips the action that had succeeded
  const fixed: Stage = { ...stage('three'), actions: (dir) => stage('three').actions(dir) };
  const done = await runStage(fixed, options);
  expect(done.cached).toBe(false);
  expect(runs()).toBe(counted);
  expect(readFileSync(join(done.dir, 'out.txt'), 'utf8')).toBe('three\n');
});
