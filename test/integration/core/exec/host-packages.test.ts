/** Host packages, checked with the real dpkg-query of this machine. */
import { expect, test } from 'vitest';
import { UserError } from '../../../../core/errors.ts';
import { ensurePackages, missingPackages } from '../../../../core/exec/host-packages.ts';
import { createRunner } from '../../../../core/exec/runner.ts';

const runner = createRunner();

test('installed packages are not missing; unknown ones are', async () => {
  expect(await missingPackages(['dpkg', 'coreutils', 'vl-no-such-package'], runner)).toEqual([
    'vl-no-such-package',
  ]);
});

test('not as root, a missing package is the exact apt-get line and exit 2', async () => {
  const said: string[] = [];
  const attempt = ensurePackages(['dpkg', 'vl-no-such-package'], runner, (line) => said.push(line), false);
  await expect(attempt).rejects.toThrow(UserError);
  await attempt.catch((error: UserError) => {
    expect(error.message).toBe('missing host packages: vl-no-such-package');
    expect(error.hint).toBe('as root: apt-get install vl-no-such-package');
    expect(error.exitCode).toBe(2);
  });
  expect(said).toEqual([]);
});

test('nothing missing: nothing said, nothing installed', async () => {
  const said: string[] = [];
  await ensurePackages(['dpkg'], runner, (line) => said.push(line), true);
  expect(said).toEqual([]);
});
