import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { UserError } from '../../../../core/errors.ts';
import { Journal } from '../../../../core/plan/journal.ts';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vl-journal-'));
  path = join(dir, 'install.journal');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = (id: string, inputHash: string) =>
  `${JSON.stringify({ id, inputHash, at: '2025-01-01T00:00:00.000Z' })}\n`;

test('a missing journal is empty and opening it writes nothing', async () => {
  const journal = await Journal.open(path);
  expect(journal.isDone('partition', 'sha256:a')).toBe(false);
  await expect(readFile(path)).rejects.toThrow(/ENOENT/);
});

test('what is marked done is done after reopening, one JSON line per action', async () => {
  const journal = await Journal.open(path);
  await journal.markDone('partition', 'sha256:a');
  await journal.markDone('format', 'sha256:b');
  const reopened = await Journal.open(path);
  expect(reopened.isDone('partition', 'sha256:a')).toBe(true);
  expect(reopened.isDone('format', 'sha256:b')).toBe(true);
  const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
  expect(lines.map((line) => JSON.parse(line).id)).toEqual(['partition', 'format']);
});

test('an action done with other inputs is not done', async () => {
  const journal = await Journal.open(path);
  await journal.markDone('partition', 'sha256:old');
  expect(journal.isDone('partition', 'sha256:new')).toBe(false);
});

test('the latest entry of an action wins: going back to old inputs means redoing it', async () => {
  await writeFile(path, entry('partition', 'sha256:a') + entry('partition', 'sha256:b'));
  const journal = await Journal.open(path);
  expect(journal.isDone('partition', 'sha256:b')).toBe(true);
  expect(journal.isDone('partition', 'sha256:a')).toBe(false);
});

test('a torn last line (crash mid-write) is ignored, and cut off before the next entry', async () => {
  await writeFile(path, `${entry('partition', 'sha256:a')}{"id":"format","inputHa`);
  const journal = await Journal.open(path);
  expect(journal.isDone('partition', 'sha256:a')).toBe(true);
  expect(journal.isDone('format', 'sha256:b')).toBe(false);

  await journal.markDone('format', 'sha256:b');
  const reopened = await Journal.open(path);
  expect(reopened.isDone('format', 'sha256:b')).toBe(true);
  expect(await readFile(path, 'utf8')).not.toContain('inputHa`');
  expect((await readFile(path, 'utf8')).trimEnd().split('\n')).toHaveLength(2);
});

test('an entry whose newline never reached the disk does not count', async () => {
  await writeFile(path, entry('partition', 'sha256:a').trimEnd());
  expect((await Journal.open(path)).isDone('partition', 'sha256:a')).toBe(false);
});

test('a damaged line before the end is refused, naming the line', async () => {
  await writeFile(path, `${entry('partition', 'sha256:a')}not json\n${entry('format', 'sha256:b')}`);
  const opening = Journal.open(path);
  await expect(opening).rejects.toBeInstanceOf(UserError);
  await expect(Journal.open(path)).rejects.toThrow(`the journal ${path} is damaged at line 2`);
});

test('a line of valid JSON that is not an entry is refused too', async () => {
  await writeFile(path, `${JSON.stringify({ id: 'partition' })}\n`);
  await expect(Journal.open(path)).rejects.toThrow(/damaged at line 1/);
});
