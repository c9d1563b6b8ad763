/** The real `virtualinux` binary, as an administrator runs it: exit codes, streams, no stack traces. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { withClosedStdout } from '../harness/closed-pipe.ts';

const bin = new URL('../../../bin/virtualinux.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vl-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], input?: string) => execa(bin, args, { reject: false, input: input ?? '' });

const STACK = /^\s+at .+:\d+:\d+\)?$/m;

describe('virtualinux spec', () => {
  test('the example checks clean when piped back in', async () => {
    const example = await cli(['spec', 'example']);
    expect(example.exitCode).toBe(0);
    const check = await cli(['spec', 'check', '/dev/stdin'], example.stdout);
    expect(check.exitCode).toBe(0);
    expect(check.stdout).toBe('/dev/stdin: ok: cluster lab, 3 blades, layout 19.6 GiB of 40 GiB');
  });

  test('a reader that closes the pipe early (| head) ends the command quietly, no stack', async () => {
    const piped = await withClosedStdout(bin, ['spec', 'example']);
    expect(piped.stderr).toBe('');
    expect(piped.exitCode).toBe(0);
  });

  test('an invalid spec exits 1 with FILE:LINE:COL lines on stderr', async () => {
    const example = (await cli(['spec', 'example'])).stdout;
    const file = join(dir, 'typo.yaml');
    writeFileSync(file, example.replace('transport: tcp', 'transprot: tcp'));
    const check = await cli(['spec', 'check', file]);
    expect(check.exitCode).toBe(1);
    expect(check.stderr.split('\n')).toEqual([
      `${file}:12:3: san.transprot: unknown key "transprot" (did you mean "transport"?)`,
      `${file}: 1 problem`,
    ]);
  });

  test.each([
    ['a missing file', join(dir, 'nope.yaml'), undefined],
    ['a directory', dir, undefined],
    ['binary junk', join(dir, 'junk.yaml'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3])],
    [
      'an alias bomb',
      join(dir, 'bomb.yaml'),
      `a: &a [1,1,1,1,1,1,1,1,1,1]\n${Array.from({ length: 9 }, (_, i) => `${'bcdefghij'[i]}: &${'bcdefghij'[i]} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(',')}]`).join('\n')}\n`,
    ],
    ['an empty file', join(dir, 'empty.yaml'), ''],
  ])('%s gives one clear line, exit 1, no stack trace', async (_, file, content) => {
    if (content !== undefined) writeFileSync(file, content);
    const check = await cli(['spec', 'check', file]);
    expect(check.exitCode).toBe(1);
    expect(check.stderr).not.toMatch(STACK);
    const lines = check.stderr.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${file.replaceAll('.', '\\.')}(:\\d+:\\d+)?: \\S`));
  });

  test('the JSON Schema describes cluster.yaml', async () => {
    const result = await cli(['spec', 'schema']);
    const schema = JSON.parse(result.stdout) as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual([
      'cluster',
      'san',
      'fabric',
      'network',
      'storage',
      'nodes',
      'images',
      'services',
      'access',
    ]);
    expect(schema.required).toEqual(['cluster', 'san', 'nodes']);
  });
});

describe('usage', () => {
  test('--help lists only the commands that exist, --version prints the package version', async () => {
    const help = await cli(['--help']);
    expect(help.exitCode).toBe(0);
    const listed = help.stdout.match(/^ {2}virtualinux [a-z]+(?: [a-z]+)?/gm);
    expect(listed).toEqual([
      '  virtualinux spec check',
      '  virtualinux spec example',
      '  virtualinux spec schema',
      '  virtualinux spec reference',
      '  virtualinux image check',
      '  virtualinux image build',
      '  virtualinux image list',
      '  virtualinux dvd build',
      '  virtualinux install',
      '  virtualinux reset',
      '  virtualinux drift',
      '  virtualinux verify',
      '  virtualinux lab up',
      '  virtualinux lab install',
      '  virtualinux lab boot',
      '  virtualinux lab console',
      '  virtualinux lab exec',
      '  virtualinux lab status',
      '  virtualinux lab inspect',
      '  virtualinux lab down',
      '  virtualinux lab run',
    ]);
    const version = await cli(['--version']);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test.each([
    [
      ['spec', 'chek', 'x.yaml'],
      'virtualinux: unknown command: spec chek\n  did you mean: virtualinux spec check?',
    ],
    [['spec', 'check'], 'virtualinux: spec check needs a file\n  usage: virtualinux spec check FILE...'],
    [
      ['spec', 'check', '--colour', 'x'],
      "virtualinux: Unknown option '--colour'.\n  usage: virtualinux spec check FILE...",
    ],
    [[], undefined],
  ])('%j is a usage error: exit 2', async (args, stderr) => {
    const result = await cli(args);
    expect(result.exitCode).toBe(2);
    if (stderr) expect(result.stderr).toBe(stderr);
  });
});

describe('virtualinux install, away from the DVD', () => {
  const example = new URL('../../../core/spec/example.yaml', import.meta.url).pathname;

  test('without --spec: a usage error; a bad spec: located problems; both before anything runs', async () => {
    const bare = await cli(['install']);
    expect(bare.exitCode).toBe(2);
    expect(bare.stderr).toBe(
      'virtualinux: --spec FILE is needed\n  usage: virtualinux install --spec FILE [--dry-run] [--yes] [--wipe NAME]',
    );
    const missing = await cli(['install', '--spec', '/nonexistent/cluster.yaml', '--dry-run']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toMatch(/^virtualinux: .*\/nonexistent\/cluster\.yaml/);
    expect(missing.stderr).not.toMatch(STACK);
  });

  test('where the CHAP secret is missing: names the file and how to write it, before anything runs', async () => {
    const run = await cli(['install', '--spec', example, '--dry-run', '--medium', '/nonexistent/dvd']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(
      /^virtualinux: san\.chap\.secret: the secret file \/etc\/virtualinux\/chap\.secret \(file:\/etc\/virtualinux\/chap\.secret\) does not exist\n/,
    );
    expect(run.stderr).not.toMatch(STACK);
  });
});

describe('virtualinux reset and drift, away from the SAN', () => {
  const example = new URL('../../../core/spec/example.yaml', import.meta.url).pathname;

  test.each([
    [['reset', '--spec', example], 'virtualinux: name the blades to reset, or --all, or --pick'],
    [
      ['reset', '--spec', example, '--all', 'node01'],
      'virtualinux: name the blades, or --all, or --pick: one of them',
    ],
    [
      ['reset', '--spec', example, '--pick'],
      'virtualinux: --pick asks on a terminal, and there is none: name the blades',
    ],
    [['reset', 'node01'], 'virtualinux: --spec FILE is needed'],
    [['drift', '--spec', example], 'virtualinux: name one blade'],
    [['drift', '--spec', example, 'node01', 'node02'], 'virtualinux: name one blade'],
  ])('%j is a usage error, before anything runs', async (args, first) => {
    const result = await cli(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(first);
    expect(result.stderr).toMatch(/\n {2}usage: virtualinux (reset|drift) --spec FILE /);
  });

  test('a blade the spec does not have is refused before the network is touched, with a did-you-mean', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vl-cli-reset-'));
    try {
      const noChap = join(dir, 'cluster.yaml');
      writeFileSync(noChap, readFileSync(example, 'utf8').replace(/ {2}chap:\n(?: {4}.*\n)+/, ''));
      for (const command of ['reset', 'drift']) {
        const run = await cli([command, '--spec', noChap, 'node1']);
        expect(run.exitCode).toBe(1);
        expect(run.stderr).toBe(
          'virtualinux: cluster lab has no blade node1\n  did you mean node01? its blades: node01, node02, node03',
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a spec whose CHAP secret is missing is refused before the network is touched', async () => {
    const run = await cli(['reset', '--spec', example, '--dry-run', 'node01']);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(
      /^virtualinux: san\.chap\.secret: the secret file \/etc\/virtualinux\/chap\.secret/,
    );
    expect(run.stderr).not.toMatch(STACK);
  });
});
