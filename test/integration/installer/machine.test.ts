/**
 * A program the menu runs that a signal kills: its end as the menu sees it, and what the console
 * is told. runInteractive runs a real child; the kernel's log is recorded text (from this build
 * machine's dmesg, and the shape of print-fatal-signals' dump).
 */
import { expect, test } from 'vitest';
import type { Command } from '../../../core/exec/command.ts';
import type { Runner } from '../../../core/exec/runner.ts';
import { kernelLinesAbout, runInteractive, sayKilled } from '../../../installer/machine.ts';

const DMESG = `[30593.596042] loop2: detected capacity change from 0 to 82833375
[31116.992583] node[14137]: segfault at 0 ip 00007f7398f85ad8 sp 00007ffeaf30fb08 error 4 in node[167ad8,7f7398e44000+156000] likely on CPU 0 (core 0, socket 0)
[31116.992601] Code: e1 ff ff ff c3 66 2e 0f 1f 84 00 00 00 00 00 0f 1f 00 89 f8 62 a1 fd 00 ef c0 25
[31116.993001] potentially unexpected fatal signal 11.
[31116.993010] CPU: 0 PID: 14137 Comm: node Not tainted 6.1.0-28-amd64 #1  Debian 6.1.119-1
[31116.993020] RIP: 0033:0x7f7398f85ad8
`;

test('the kernel lines about a process: from its segfault line on, the code bytes and registers with it', () => {
  const lines = kernelLinesAbout(DMESG, 14137);
  expect(lines[0]).toMatch(/node\[14137\]: segfault at 0 ip/);
  expect(lines.at(-1)).toMatch(/RIP: 0033:/);
  expect(lines).toHaveLength(5);
  // a signal sent, not a fault: only the fatal-signal dump names it, the line before says which
  const dump = DMESG.split('\n').slice(3).join('\n');
  expect(kernelLinesAbout(dump, 14137)[0]).toMatch(/potentially unexpected fatal signal 11\./);
  expect(kernelLinesAbout(DMESG, 4137)).toEqual([]);
  expect(kernelLinesAbout(DMESG, 1)).toEqual([]);
});

/** a fake runner (named so): dmesg answers with the given text, or is missing */
const dmesgRunner = (text: string | Error): Runner =>
  ({
    run: async (command: Command) => {
      expect(command.tool).toBe('dmesg');
      if (text instanceof Error) throw text;
      return { exitCode: 0, stdout: text, stderr: '' };
    },
  }) as unknown as Runner;

test('a child killed by a signal ends with 128 + its number, the signal and its pid; the console is told, with the kernel lines', async () => {
  const ended = await runInteractive({ tool: 'sh', args: ['-c', 'kill -SEGV $$'] });
  expect(ended.status).toBe(139);
  expect(ended.signal).toBe('SIGSEGV');
  expect(ended.pid).toBeGreaterThan(1);

  let told = '';
  const recorded = DMESG.replaceAll('14137', String(ended.pid));
  await sayKilled('The guided installer', ended, dmesgRunner(recorded), (text) => {
    told += text;
  });
  expect(told).toContain('The guided installer was killed by SIGSEGV (exit status 139); this is a bug');
  expect(told).toMatch(new RegExp(`^ {2}\\[31116\\.992583\\] node\\[${ended.pid}\\]: segfault at 0`, 'm'));
  expect(told).not.toContain('loop2');

  told = '';
  await sayKilled('Recovery', ended, dmesgRunner(new Error('dmesg: read kernel buffer failed')), (text) => {
    told += text;
  });
  expect(told).toContain('Recovery was killed by SIGSEGV');
  expect(told).toContain('The kernel logged nothing about it.');
});

test('a child that exits, however badly, is not said to be killed', async () => {
  const ended = await runInteractive({ tool: 'sh', args: ['-c', 'exit 70'] });
  expect(ended).toEqual({ status: 70, pid: expect.any(Number) });
  let told = '';
  await sayKilled('The shell', ended, dmesgRunner(DMESG), (text) => {
    told += text;
  });
  expect(told).toBe('');
});

test('a child stopped by a signal someone sent (SIGINT, SIGTERM) is said so in a line, not as a bug', async () => {
  const ended = await runInteractive({ tool: 'sh', args: ['-c', 'kill -INT $$'] });
  expect(ended).toMatchObject({ status: 130, signal: 'SIGINT' });
  let told = '';
  await sayKilled('The guided installer', ended, dmesgRunner(new Error('not asked')), (text) => {
    told += text;
  });
  expect(told).toBe('\nThe guided installer was stopped by SIGINT (exit status 130).\n');
});
