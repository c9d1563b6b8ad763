import { describe, expect, test } from 'vitest';
import { UserError } from '../../../../core/errors.ts';
import { formatCommand } from '../../../../core/exec/command.ts';
import { Secrets } from '../../../../core/exec/secrets.ts';

function secretsOf(...values: string[]): Secrets {
  const secrets = new Secrets();
  for (const value of values) secrets.add(value);
  return secrets;
}

describe('redact', () => {
  test('hides every occurrence, also inside other words', () => {
    expect(secretsOf('s3cr3t').redact('user:s3cr3t@host and again s3cr3ts3cr3t.')).toBe(
      'user:***@host and again ***.',
    );
  });

  test('a secret contained in a longer one does not leave the rest of the longer one visible', () => {
    expect(secretsOf('word', 'password123').redact('the password123 is set')).toBe('the *** is set');
    expect(secretsOf('password123', 'word').redact('the password123 is set')).toBe('the *** is set');
  });

  test('overlapping secrets are hidden as one stretch, with no fragment of either left', () => {
    expect(secretsOf('abcdef', 'defghi').redact('xxabcdefghixx')).toBe('xx***xx');
  });

  test('each line of a multi-line secret is hidden, since output is redacted line by line', () => {
    expect(secretsOf('first-line\nsecond-line').redact('got second-line here')).toBe('got *** here');
  });

  test('text without secrets is unchanged', () => {
    expect(new Secrets().redact('nothing to hide')).toBe('nothing to hide');
    expect(secretsOf('s3cr3t').redact('nothing to hide')).toBe('nothing to hide');
  });

  test('short secrets are refused with a message that does not repeat them', () => {
    for (const value of ['', 'a', 'abc']) {
      const attempt = () => new Secrets().add(value);
      expect(attempt).toThrow(UserError);
      expect(attempt).toThrow(/at least 4 characters/);
    }
  });
});

describe('a command as shown', () => {
  test('hides secrets in arguments, environment and directory; stdin only as a mark', () => {
    const shown = secretsOf('s3cr3t').show({
      tool: 'iscsi-ls',
      args: ['-s', 'iscsi://user%s3cr3t@127.0.0.1'],
      env: { PASSWORD: 's3cr3t' },
      cwd: '/tmp/s3cr3t',
      stdin: 's3cr3t\n',
    });
    const line = formatCommand(shown);
    expect(line).toBe("PASSWORD='***' iscsi-ls -s 'iscsi://user%***@127.0.0.1' < stdin (in /tmp/***)");
    expect(JSON.stringify(shown)).not.toContain('s3cr3t');
  });

  test('arguments are quoted so the line reads back as the same words', () => {
    const line = formatCommand({ tool: 'sh', args: ['-c', "echo 'hi' there", ''], stdin: false });
    expect(line).toBe(`sh -c 'echo '\\''hi'\\'' there' ''`);
  });
});
