/**
 * readDrift's own part, with a fake runner (named so: it records the commands and answers as the
 * mounts and getfattr would; the work directory stands in for the mounted volumes). The drift of
 * a real overlayfs is read in test/integration/installer/drift.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { type Command, formatCommand } from '../../../../core/exec/command.ts';
import type { Runner } from '../../../../core/exec/runner.ts';
import { expandBlades } from '../../../../core/spec/derive.ts';
import { readDrift, readDrifts } from '../../../../installer/recovery/recovery.ts';
import { exampleSpec } from '../engine/fixtures/recorded.ts';

const spec = exampleSpec();
const [blade, other] = expandBlades(spec);
const work = mkdtempSync(join(tmpdir(), 'vl-read-drift-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function fakeRunner() {
  const ran: string[] = [];
  const runner: Runner = {
    dryRun: false,
    run: async (command: Command) => {
      ran.push(formatCommand({ ...command, stdin: false }));
      return { exitCode: 0, stdout: '', stderr: '' };
    },
  };
  return { runner, ran };
}

test('a layer its blade never booted from (no upper directory) is in factory state: no drift, getfattr not run, all unmounted', async () => {
  if (!blade) throw new Error('the example has blades');
  const { runner, ran } = fakeRunner();
  expect(await readDrift(spec, blade, runner, join(work, 'fresh'))).toEqual([]);
  expect(ran.some((line) => line.startsWith('getfattr'))).toBe(false);
  expect(ran.at(-1)).toMatch(/^lvchange -an /);
  expect(ran.filter((line) => line.startsWith('mount ')).length).toBe(2);
});

test('a layer with an upper directory: what it adds is its drift', async () => {
  if (!blade) throw new Error('the example has blades');
  const dir = join(work, 'used');
  mkdirSync(join(dir, blade.name, 'layer', 'root', 'etc'), { recursive: true });
  mkdirSync(join(dir, blade.name, 'image', 'etc'), { recursive: true });
  writeFileSync(join(dir, blade.name, 'layer', 'root', 'etc', 'motd'), 'hello\n');
  const { runner, ran } = fakeRunner();
  const entries = await readDrift(spec, blade, runner, dir);
  expect(entries).toEqual([expect.objectContaining({ path: '/etc/motd', change: 'added', kind: 'file' })]);
  expect(ran.some((line) => line.startsWith('getfattr'))).toBe(true);
});

test('a layer multi-mount protection shows in use is not mounted at all: its blade is listed unread, the others are read', async () => {
  if (!blade || !other) throw new Error('the example has blades');
  const { runner, ran } = fakeRunner();
  const held = { [`node_${blade.name}`]: { held: true as const, by: blade.name } };
  const { drifts, unread } = await readDrifts(spec, [blade, other], held, runner, join(work, 'held'));
  expect(unread).toEqual([blade.name]);
  expect(drifts).toEqual({ [other.name]: [] });
  const mounts = ran.filter((line) => line.startsWith('mount '));
  expect(mounts.length).toBe(2);
  expect(mounts.some((line) => line.includes(`node_${blade.name} `))).toBe(false);
  expect(mounts.some((line) => line.includes(`node_${other.name} `))).toBe(true);
});
