/**
 * The cluster-wide reset lock (vl_meta mounted read-write: ext4's multi-mount protection refuses a
 * second machine) and vl_meta's reset log, with a fake runner (named so: it records the commands
 * and answers as mount and e2mmpstatus would). MMP itself refusing a second mount is the kernel's:
 * test/integration/installer/holders.test.ts mounts a real MMP filesystem.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { type Command, formatCommand } from '../../../../core/exec/command.ts';
import { CommandFailed } from '../../../../core/exec/failure.ts';
import type { Runner } from '../../../../core/exec/runner.ts';
import { reset, resetLogLine, withClusterLock } from '../../../../installer/recovery/recovery.ts';
import type { ResetPlan } from '../../../../installer/recovery/reset.ts';
import { exampleSpec } from '../engine/fixtures/recorded.ts';

const spec = exampleSpec();

function fakeRunner(mountFails: boolean) {
  const ran: string[] = [];
  const runner: Runner = {
    dryRun: false,
    run: async (command: Command) => {
      const line = formatCommand({ ...command, stdin: false });
      ran.push(line);
      if (mountFails && line.startsWith('mount -t ext4')) {
        throw new CommandFailed(
          'mount',
          { kind: 'exit', exitCode: 32 },
          'mount failed with exit code 32',
          '',
        );
      }
      const stdout = line.startsWith('e2mmpstatus -i') ? '    mmp_node_name: node01\n' : '';
      return { exitCode: 0, stdout, stderr: '' };
    },
  };
  return { runner, ran };
}

test('the body runs with vl_meta mounted read-write, and it is unmounted and deactivated after', async () => {
  const { runner, ran } = fakeRunner(false);
  const seen = await withClusterLock(spec, runner, '/run/x', async (meta) => {
    ran.push('BODY');
    return meta;
  });
  expect(seen).toBe('/run/x/vl_meta');
  const body = ran.indexOf('BODY');
  expect(ran.slice(0, body).at(-1)).toBe('mount -t ext4 /dev/vl_lab/vl_meta /run/x/vl_meta');
  expect(ran.slice(body + 1)).toEqual(['umount /run/x/vl_meta', 'lvchange -an vl_lab/vl_meta']);
});

test('held by another machine: refused with the name its MMP block gives, the body never runs', async () => {
  const { runner, ran } = fakeRunner(true);
  const error = await withClusterLock(spec, runner, '/run/x', async () => ran.push('BODY')).catch((e) => e);
  expect(error.message).toBe(
    'vl_meta cannot be mounted here (its multi-mount protection names node01): a reset or an install runs on another machine, and one runs at a time in the cluster',
  );
  expect(error.hint).toBe('wait for it to end, then run the reset again');
  expect(ran).not.toContain('BODY');
  expect(ran.at(-1)).toBe('lvchange -an vl_lab/vl_meta');
});

test('the reset log: when, from which machine, which blades, what each kept', () => {
  const plan = { blades: [{ name: 'node02' }, { name: 'node03' }] } as ResetPlan;
  expect(resetLogLine(plan, { node02: ['/root'] }, 'node01', new Date('2026-11-29T10:00:00Z'))).toBe(
    '2026-11-29T10:00:00.000Z node01 reset node02 (kept /root), node03\n',
  );
});

test('a reset of a blade the spec does not have is refused before anything is run or made: not even its work directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vl-reset-refused-'));
  try {
    const { runner, ran } = fakeRunner(false);
    const workDir = join(dir, 'recovery');
    const request = { names: ['node1'], all: false, keepData: false, force: false, dryRun: false, yes: true };
    await expect(
      reset({ spec, runner, dryRunner: runner, say: () => {}, workDir, ...request }),
    ).rejects.toThrow('cluster lab has no blade node1');
    expect(ran).toEqual([]);
    expect(existsSync(workDir)).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
