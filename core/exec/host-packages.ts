/**
 * Debian packages an operation needs on the build host: checked with dpkg-query, installed with
 * apt-get when we run as root (saying so), otherwise the exact apt-get line and exit 2.
 */
import { UserError } from '../errors.ts';
import type { Runner } from './runner.ts';

export async function missingPackages(packages: string[], runner: Runner): Promise<string[]> {
  const missing: string[] = [];
  for (const name of packages) {
    const { stdout } = await runner.run({
      tool: 'dpkg-query',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} syntax
      args: ['--show', '--showformat=${db:Status-Status}', name],
      allowExitCodes: [1],
    });
    if (stdout.trim() !== 'installed') missing.push(name);
  }
  return missing;
}

export async function ensurePackages(
  packages: string[],
  runner: Runner,
  say: (line: string) => void,
  isRoot = process.getuid?.() === 0,
): Promise<void> {
  const missing = await missingPackages(packages, runner);
  if (missing.length === 0) return;
  const line = `apt-get install ${missing.join(' ')}`;
  if (!isRoot) {
    throw new UserError(`missing host packages: ${missing.join(', ')}`, `as root: ${line}`, 2);
  }
  say(`installing missing host packages: ${missing.join(' ')}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  await runner.run({ tool: 'apt-get', args: ['update', '-qq'], env });
  await runner.run({
    tool: 'apt-get',
    args: ['install', '-y', '-qq', '--no-install-recommends', ...missing],
    env,
  });
}
