/**
 * What has been done, so that an interrupted operation resumes where it stopped.
 * An append-only JSON-lines file, one `{id, inputHash, at}` per completed action, each fsynced:
 * an entry counts once its newline is on disk, so a torn last line (a crash mid-write) is ignored
 * and cut off before the next entry is appended.
 */
import { open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { UserError } from '../errors.ts';

const JournalEntry = z.object({
  id: z.string().min(1),
  inputHash: z.string().min(1),
  at: z.iso.datetime(),
});
export type JournalEntry = z.infer<typeof JournalEntry>;

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseLine(line: string, path: string, lineNumber: number): JournalEntry {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    json = undefined;
  }
  const entry = JournalEntry.safeParse(json);
  if (!entry.success) {
    throw new UserError(
      `the journal ${path} is damaged at line ${lineNumber}`,
      'only its last line can be torn by a crash; restore the file, or remove it to start over (every action then runs again unless its check finds it done)',
    );
  }
  return entry.data;
}

export class Journal {
  /** the latest input hash of each completed action: an action redone with other inputs supersedes */
  readonly #done = new Map<string, string>();
  #exists: boolean;
  /** length of the intact part, when a torn last line follows it */
  #tornAt: number | undefined;

  private constructor(
    readonly path: string,
    entries: JournalEntry[],
    exists: boolean,
    tornAt: number | undefined,
  ) {
    for (const entry of entries) this.#done.set(entry.id, entry.inputHash);
    this.#exists = exists;
    this.#tornAt = tornAt;
  }

  /** Reads the journal (a missing file is an empty journal); writes nothing. */
  static async open(path: string): Promise<Journal> {
    const text = await readIfPresent(path);
    if (text === undefined) return new Journal(path, [], false, undefined);
    const intact = text.lastIndexOf('\n') + 1;
    const entries = text
      .slice(0, intact)
      .split('\n')
      .slice(0, -1)
      .map((line, index) => ({ line, number: index + 1 }))
      .filter(({ line }) => line.trim() !== '')
      .map(({ line, number }) => parseLine(line, path, number));
    const tornAt = intact < text.length ? Buffer.byteLength(text.slice(0, intact)) : undefined;
    return new Journal(path, entries, true, tornAt);
  }

  isDone(id: string, inputHash: string): boolean {
    return this.#done.get(id) === inputHash;
  }

  async markDone(id: string, inputHash: string, at = new Date()): Promise<void> {
    const line = `${JSON.stringify(JournalEntry.parse({ id, inputHash, at: at.toISOString() }))}\n`;
    const file = await open(this.path, 'a');
    try {
      if (this.#tornAt !== undefined) await file.truncate(this.#tornAt);
      await file.write(line);
      await file.sync();
    } finally {
      await file.close();
    }
    this.#tornAt = undefined;
    if (!this.#exists) {
      await syncDirectory(dirname(this.path));
      this.#exists = true;
    }
    this.#done.set(id, inputHash);
  }
}

/** A new file survives a crash only once its directory entry is on disk too. */
async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
