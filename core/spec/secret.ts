/**
 * Reads the secret a spec's reference names (`file:/path`, `env:NAME`; primitives.ts SecretRef).
 * A secret file must be readable by its owner only, as ssh insists for its keys: a CHAP secret
 * that every user could read would protect nothing. Messages name the reference and the spec's
 * field, never the value.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';
import { MIN_SECRET_LENGTH } from '../exec/secrets.ts';

export interface SecretPlace {
  /** the reference as the spec writes it */
  ref: string;
  /** where in the spec: san.chap.secret */
  field: string;
}

/** the secret's text (one trailing newline dropped); `root` stands in for / in tests */
export function readSecret(
  { ref, field }: SecretPlace,
  env: NodeJS.ProcessEnv = process.env,
  root = '/',
): string {
  const value = ref.startsWith('env:') ? fromEnvironment(ref, field, env) : fromFile(ref, field, root);
  if (value.length < MIN_SECRET_LENGTH) {
    throw new UserError(
      `${field}: the secret in ${ref} is shorter than ${MIN_SECRET_LENGTH} characters`,
      'CHAP needs 12 to 16 characters with most targets: write a longer one there',
    );
  }
  return value;
}

function fromEnvironment(ref: string, field: string, env: NodeJS.ProcessEnv): string {
  const name = ref.slice('env:'.length);
  const value = env[name];
  if (value === undefined || value === '') {
    throw new UserError(
      `${field}: the environment variable ${name} (${ref}) is not set`,
      `set it before the command (read -rs ${name} && export ${name}), or point ${field} at a file`,
    );
  }
  return value;
}

function fromFile(ref: string, field: string, root: string): string {
  const path = ref.slice('file:'.length);
  const file = join(root, path);
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      `${field}: the secret file ${path} (${ref}) ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`,
      `write the secret there, readable by root only: install -m 0600 /dev/stdin ${path}`,
    );
  }
  if ((mode & 0o077) !== 0) {
    throw new UserError(
      `${field}: the secret file ${path} can be read by others (mode ${(mode & 0o777).toString(8).padStart(4, '0')})`,
      `make it readable by its owner only: chmod 600 ${path}`,
    );
  }
  return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}
