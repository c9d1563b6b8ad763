import { expect, test } from 'vitest';
import { UserError } from '../../../../core/errors.ts';
import { CommandFailed, commandFailed } from '../../../../core/exec/failure.ts';
import { Secrets } from '../../../../core/exec/secrets.ts';

const shown = { tool: 'xorriso', args: ['-as', 'mkisofs'], stdin: false };
const lines = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`).join('\n');

test('a non-zero exit names the tool, the code and the last 10 lines of stderr', () => {
  const error = commandFailed(
    shown,
    { kind: 'exit', exitCode: 5 },
    { stdout: '', stderr: lines(15, 'problem') },
    new Secrets(),
  );
  expect(error).toBeInstanceOf(CommandFailed);
  expect(error).toBeInstanceOf(UserError);
  expect(error.message).toMatch(/^xorriso failed with exit code 5; last lines of stderr:\n {2}problem 6\n/);
  expect(error.message).toMatch(/problem 15$/);
  expect(error.message).not.toMatch(/problem 5\n/);
  expect(error.hint).toBe('the command was: xorriso -as mkisofs');
});

test('stdout speaks when stderr is silent', () => {
  const error = commandFailed(
    shown,
    { kind: 'exit', exitCode: 1 },
    { stdout: 'bad volume id', stderr: '\n' },
    new Secrets(),
  );
  expect(error.message).toBe('xorriso failed with exit code 1; last lines of stdout:\n  bad volume id');
});

test('a timeout says so, with the timeout', () => {
  const error = commandFailed(
    shown,
    { kind: 'timeout', timeoutMs: 90_000 },
    { stdout: '', stderr: '' },
    new Secrets(),
  );
  expect(error.message).toBe('xorriso timed out after 1 min 30 s and was killed (it printed nothing)');
});

test('secrets in the output and the command line are hidden', () => {
  const secrets = new Secrets();
  secrets.add('chap-s3cr3t');
  const error = commandFailed(
    { tool: 'iscsi-ls', args: ['iscsi://u%chap-s3cr3t@10.0.2.2'], stdin: false },
    { kind: 'exit', exitCode: 1 },
    { stdout: '', stderr: 'login with chap-s3cr3t refused' },
    secrets,
  );
  expect(`${error.message} ${error.hint}`).not.toContain('chap-s3cr3t');
  expect(error.message).toContain('login with *** refused');
});

test('messages carry no stack material', () => {
  const error = commandFailed(
    shown,
    { kind: 'signal', signal: 'SIGKILL' },
    { stdout: '', stderr: 'x' },
    new Secrets(),
  );
  expect(error.message).toBe('xorriso was killed by SIGKILL; last lines of stderr:\n  x');
  expect(error.message).not.toMatch(/\bat .*:\d+:\d+/);
});
