/** Reading the secret a spec points to: file (owner-only) or environment; messages never hold it. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { UserError } from '../../../../core/errors.ts';
import { readSecret } from '../../../../core/spec/secret.ts';

const field = 'san.chap.secret';

/** every temporary root this file makes, removed when it ends */
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function rootWith(mode: number, text = 'lab-secret-1234\n'): string {
  const root = mkdtempSync(join(tmpdir(), 'vl-secret-'));
  roots.push(root);
  mkdirSync(join(root, 'etc/virtualinux'), { recursive: true });
  writeFileSync(join(root, 'etc/virtualinux/chap.secret'), text);
  chmodSync(join(root, 'etc/virtualinux/chap.secret'), mode);
  return root;
}

const failure = (read: () => unknown): UserError => {
  try {
    read();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error('expected a UserError');
};

describe('readSecret', () => {
  test('a 0600 file: its text without the final newline', () => {
    const root = rootWith(0o600);
    expect(readSecret({ ref: 'file:/etc/virtualinux/chap.secret', field }, {}, root)).toBe('lab-secret-1234');
  });

  test('a file others can read is refused, with the chmod that fixes it', () => {
    const root = rootWith(0o644);
    const error = failure(() => readSecret({ ref: 'file:/etc/virtualinux/chap.secret', field }, {}, root));
    expect(error.message).toBe(
      'san.chap.secret: the secret file /etc/virtualinux/chap.secret can be read by others (mode 0644)',
    );
    expect(error.hint).toBe('make it readable by its owner only: chmod 600 /etc/virtualinux/chap.secret');
  });

  test('a missing file, an unset variable, a short secret: each named, the value never', () => {
    const root = rootWith(0o600, 'abc');
    expect(failure(() => readSecret({ ref: 'file:/etc/none', field }, {}, root)).message).toBe(
      'san.chap.secret: the secret file /etc/none (file:/etc/none) does not exist',
    );
    expect(failure(() => readSecret({ ref: 'env:VL_CHAP', field }, {}, root)).message).toBe(
      'san.chap.secret: the environment variable VL_CHAP (env:VL_CHAP) is not set',
    );
    const short = failure(() => readSecret({ ref: 'file:/etc/virtualinux/chap.secret', field }, {}, root));
    expect(short.message).toBe(
      'san.chap.secret: the secret in file:/etc/virtualinux/chap.secret is shorter than 4 characters',
    );
    expect(`${short.message}${short.hint}`).not.toContain('abc');
    expect(readSecret({ ref: 'env:VL_CHAP', field }, { VL_CHAP: 'from-the-env' })).toBe('from-the-env');
  });
});
