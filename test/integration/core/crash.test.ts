/**
 * An error no command caught (thrown in a timer, as Ink draws the guided installer's screen, or a
 * promise nobody awaits): a real Node process with core/cli/crash.ts's handlers prints one plain
 * line, keeps the stack in a report file, and exits 70.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, test } from 'vitest';

const crashModule = new URL('../../../core/cli/crash.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vl-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STACK = /^\s+at .+:\d+:\d+\)?$/m;

/**
 * runs `body` after reportCrashes(['install', '--tui'], REPORTS) in a fresh Node process; REPORTS is
 * a new dir of this test's, or `reports` when given (one that cannot be written to)
 */
async function crashing(
  name: string,
  body: string,
  { env = {}, reports = join(dir, name) }: { env?: Record<string, string>; reports?: string } = {},
) {
  if (reports.startsWith(dir)) mkdirSync(reports);
  const script = join(dir, `${name}.ts`);
  writeFileSync(
    script,
    `import { reportCrashes } from ${JSON.stringify(crashModule)};\nreportCrashes(['install', '--tui'], ${JSON.stringify(reports)});\n${body}\n`,
  );
  const run = await execa('node', ['--import', 'tsx', script], {
    reject: false,
    stdin: 'ignore',
    env: { VIRTUALINUX_DEBUG: '', ...env },
  });
  return { run, reports };
}

test('an error thrown in a timer: one line that says it is a bug and where its report is, exit 70, no stack', async () => {
  // thrown 30 calls deep: the report keeps more than the 10 frames Node keeps by default
  const { run, reports } = await crashing(
    'timer',
    "const down = (n: number): void => { if (n === 0) throw new RangeError('memory access out of bounds'); down(n - 1); };\nsetTimeout(() => down(30), 10);\nsetTimeout(() => {}, 5000);",
  );
  expect(run.exitCode).toBe(70);
  const [report] = readdirSync(reports);
  expect(report).toMatch(/^virtualinux-crash-\d+-\d+\.txt$/);
  const file = join(reports, report as string);
  expect(run.stderr.trim().split('\n')).toEqual([
    'virtualinux: internal error: memory access out of bounds',
    `  the details are in ${file}; please report it. Run the same command again: journaled work resumes.`,
  ]);
  expect(run.stderr).not.toMatch(STACK);
  // the report: owner-only, the command, the whole stack
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const text = readFileSync(file, 'utf8');
  expect(text).toMatch(/^virtualinux \S+ crashed at \d{4}-\d\d-\d\dT/);
  expect(text).toContain('command: virtualinux install --tui');
  expect(text).toContain('RangeError: memory access out of bounds');
  expect((text.match(/^\s+at /gm) ?? []).length).toBeGreaterThan(30);
  expect(text).toMatch(STACK);
});

test('a promise nobody awaits that rejects: the same', async () => {
  const { run, reports } = await crashing(
    'rejection',
    "Promise.reject(new Error('the SAN went away\\nsecond line'));\nsetTimeout(() => {}, 5000);",
  );
  expect(run.exitCode).toBe(70);
  expect(run.stderr.trim().split('\n')[0]).toBe('virtualinux: internal error: the SAN went away');
  expect(run.stderr).not.toMatch(STACK);
  expect(readdirSync(reports)).toHaveLength(1);
});

test('VIRTUALINUX_DEBUG=1 shows the stack on the terminal too', async () => {
  const { run, reports } = await crashing('debug', "setTimeout(() => { throw new Error('boom'); }, 10);", {
    env: { VIRTUALINUX_DEBUG: '1' },
  });
  expect(run.exitCode).toBe(70);
  expect(run.stderr).toMatch(STACK);
  expect(readdirSync(reports)).toHaveLength(1);
});

test('a report that cannot be written is said so, and the exit is the same', async () => {
  const { run } = await crashing('nowhere', "setTimeout(() => { throw new Error('boom'); }, 10);", {
    reports: '/proc/no-such-dir',
  });
  expect(run.exitCode).toBe(70);
  expect(run.stderr.trim().split('\n')).toEqual([
    'virtualinux: internal error: boom',
    '  no report could be written; please report it. Run the same command again: journaled work resumes.',
  ]);
});
