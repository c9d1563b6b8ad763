/** The live system's squashfs, made by the real mksquashfs: the same bytes twice, whatever the caller's environment. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { createRunner } from '../../../core/exec/runner.ts';
import { sha256File } from '../../../images/fetch.ts';
import { squashfsCommand } from '../../../iso/dvd.ts';

const dir = mkdtempSync(join(tmpdir(), 'vl-squashfs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const EPOCH = 1764000000;

test('two squashfs of the same tree are identical, also when SOURCE_DATE_EPOCH is already set', async () => {
  const root = join(dir, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc/hostname'), 'virtualinux\n');
  writeFileSync(join(root, 'etc/old'), 'from a package\n');
  utimesSync(join(root, 'etc/old'), 1_600_000_000, 1_600_000_000);
  chmodSync(join(root, 'etc/hostname'), 0o644);
  const runner = createRunner();
  const saved = process.env.SOURCE_DATE_EPOCH;
  try {
    delete process.env.SOURCE_DATE_EPOCH;
    await runner.run(squashfsCommand(root, join(dir, 'a.squashfs'), EPOCH));
    // the caller's own SOURCE_DATE_EPOCH (another value even) must neither fail nor change the result
    process.env.SOURCE_DATE_EPOCH = '1700000000';
    writeFileSync(join(root, 'etc/hostname'), 'virtualinux\n');
    await runner.run(squashfsCommand(root, join(dir, 'b.squashfs'), EPOCH));
  } finally {
    if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
    else process.env.SOURCE_DATE_EPOCH = saved;
  }
  expect(await sha256File(join(dir, 'a.squashfs'))).toBe(await sha256File(join(dir, 'b.squashfs')));
});
