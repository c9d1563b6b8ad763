/**
 * `virtualinux install --tui` through the real binary, without a terminal: the guided installer
 * refuses in one line with a hint, and nothing else is tried (no DVD, no SAN, no screen).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { exampleSpecText } from '../../../core/spec/example.ts';

const bin = new URL('../../../bin/virtualinux.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vl-install-tui-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STACK = /^\s+at .+:\d+:\d+\)?$/m;

/** stdin 'ignore': /dev/null, as a service or a pipe gives; stdout and stderr are pipes */
const cli = (args: string[]) => execa(bin, args, { reject: false, stdin: 'ignore' });

describe('virtualinux install --tui', () => {
  test.each([
    ['alone', []],
    ['with a spec and --dry-run', ['--spec', 'SPEC', '--dry-run']],
  ])(
    '%s, without a terminal: one line and a hint to use --spec, exit 1, nothing on stdout',
    async (_, extra) => {
      const spec = join(dir, 'cluster.yaml');
      writeFileSync(spec, exampleSpecText());
      const run = await cli(['install', '--tui', ...extra.map((a) => (a === 'SPEC' ? spec : a))]);
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        [
          'virtualinux: the guided installer (--tui) needs a terminal, and stdin or stdout is not one',
          '  without a terminal, install from a cluster spec: virtualinux install --spec FILE',
        ].join('\n'),
      );
      expect(run.stderr).not.toMatch(STACK);
    },
  );

  test('an option the screens ask for is a usage error, exit 2', async () => {
    const run = await cli(['install', '--tui', '--wipe', 'lab']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toBe(
      [
        'virtualinux: --wipe does not go with --tui: the guided installer asks on its screens',
        '  usage: virtualinux install --tui [--spec FILE] [--blades FILE] [--enlist] [--dry-run] [--medium DIR]',
      ].join('\n'),
    );
  });

  test('--enlist or --blades without --tui is a usage error, exit 2', async () => {
    const run = await cli(['install', '--spec', join(dir, 'cluster.yaml'), '--enlist']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(
      'virtualinux: --enlist goes with --tui: it feeds the Cluster screen',
    );
  });
});
