import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { UserError } from '../../../../core/errors.ts';
import { EventBus, type ExecEvent } from '../../../../core/exec/events.ts';
import { CommandFailed } from '../../../../core/exec/failure.ts';
import { lineLogger } from '../../../../core/exec/line-log.ts';
import { createRunner, type RunnerOptions } from '../../../../core/exec/runner.ts';
import { Secrets } from '../../../../core/exec/secrets.ts';
import { ToolNotFound } from '../../../../core/exec/tools.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vl-exec-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A runner whose events are kept, and rendered by the plain-line logger. */
function observed(options: RunnerOptions = {}) {
  const events: ExecEvent[] = [];
  let log = '';
  const bus = new EventBus<ExecEvent>();
  bus.on((event) => events.push(event));
  bus.on(lineLogger({ write: (text: string) => (log += text) }));
  const runner = createRunner({ ...options, events: bus });
  return { runner, events, log: () => log };
}

/** The error a command was rejected with, asserting its class. */
async function failureOf<E extends Error>(
  running: Promise<unknown>,
  kind: abstract new (...args: never[]) => E,
): Promise<E> {
  const error = await running.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(kind);
  return error as E;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('dry-run runs nothing: the file touch would create does not exist', async () => {
  const file = join(dir, 'created');
  const { runner, events, log } = observed({ dryRun: true });
  await runner.run({ tool: 'touch', args: [file] });
  expect(existsSync(file)).toBe(false);
  expect(events).toEqual([{ type: 'dry-run', command: { tool: 'touch', args: [file], stdin: false } }]);
  expect(log()).toBe(`(dry run) $ touch ${file}\n`);
});

test('the same command without dry-run does create it', async () => {
  const file = join(dir, 'created');
  await createRunner().run({ tool: 'touch', args: [file] });
  expect(existsSync(file)).toBe(true);
});

test('output is returned and streamed as one event per line, between start and end', async () => {
  const { runner, events } = observed();
  const result = await runner.run({
    tool: 'sh',
    args: ['-c', 'printf "one\\ntwo\\n"; printf "oops\\n" >&2'],
  });
  expect(result).toEqual({ exitCode: 0, stdout: 'one\ntwo', stderr: 'oops' });
  expect(events[0]).toMatchObject({ type: 'command-start', pid: expect.any(Number) });
  expect(events.filter((e) => e.type === 'output').map((e) => `${e.stream}:${e.line}`)).toEqual([
    'stdout:one',
    'stdout:two',
    'stderr:oops',
  ]);
  expect(events.at(-1)).toMatchObject({ type: 'command-end', exitCode: 0, timedOut: false });
});

test('environment and working directory are the command’s own', async () => {
  const result = await createRunner().run({
    tool: 'sh',
    args: ['-c', 'printf "%s %s" "$CLUSTER" "$(pwd)"'],
    env: { CLUSTER: 'lab' },
    cwd: dir,
  });
  expect(result.stdout).toBe(`lab ${dir}`);
});

test('progress lines become progress events', async () => {
  const { runner, events } = observed();
  await runner.run({
    tool: 'sh',
    args: ['-c', 'for i in 1 2 3; do echo "$i/3"; done'],
    progress: (line) => {
      const match = /^(\d+)\/(\d+)$/.exec(line);
      return match
        ? { stage: 'count', done: Number(match[1]), total: Number(match[2]), unit: 'items' }
        : undefined;
    },
  });
  expect(events.filter((e) => e.type === 'progress').map((e) => e.done)).toEqual([1, 2, 3]);
});

describe('secrets', () => {
  const secret = 'chap-S3cr3t-pw';

  test('a secret passed as an argument and printed by the child never shows, even when it fails', async () => {
    const secrets = new Secrets();
    secrets.add(secret);
    const { runner, events, log } = observed({ secrets });
    const failure = await failureOf(
      runner.run({
        tool: 'sh',
        args: ['-c', 'echo "login as vl:$1"; echo "rejected $1" >&2; exit 3', 'sh', secret],
      }),
      CommandFailed,
    );
    expect(failure.message).toBe('sh failed with exit code 3; last lines of stderr:\n  rejected ***');
    expect(failure.hint).toContain("sh -c 'echo");
    expect(failure.hint).toMatch(/ sh '\*\*\*'$/);
    expect(events.filter((e) => e.type === 'output').map((e) => e.line)).toEqual([
      'login as vl:***',
      'rejected ***',
    ]);
    for (const shown of [
      JSON.stringify(events),
      log(),
      failure.message,
      failure.hint,
      String(failure.stack),
    ]) {
      expect(shown).not.toContain(secret);
    }
  });

  test('a secret handed over on stdin reaches the child, but not the events', async () => {
    const secrets = new Secrets();
    secrets.add(secret);
    const { runner, events, log } = observed({ secrets });
    const result = await runner.run({
      tool: 'sh',
      args: ['-c', 'read -r pw; echo "got $pw"'],
      stdin: `${secret}\n`,
    });
    expect(result.stdout).toBe(`got ${secret}`);
    expect(log()).toContain('$ sh -c \'read -r pw; echo "got $pw"\' < stdin\n');
    expect(log()).toContain('  | got ***\n');
    expect(JSON.stringify(events) + log()).not.toContain(secret);
  });
});

describe('failures', () => {
  test('false fails with its exit code', async () => {
    await expect(createRunner().run({ tool: 'false', args: [] })).rejects.toThrow(
      'false failed with exit code 1 (it printed nothing)',
    );
  });

  test('an exit code declared as an answer is not a failure', async () => {
    const result = await createRunner().run({ tool: 'false', args: [], allowExitCodes: [1] });
    expect(result.exitCode).toBe(1);
  });

  test('a missing working directory is named as the cause, not the tool', async () => {
    await expect(createRunner().run({ tool: 'true', args: [], cwd: join(dir, 'absent') })).rejects.toThrow(
      'true could not be started: its working directory or its interpreter is missing',
    );
  });

  test('only the last 10 lines of stderr are quoted', async () => {
    const error = await failureOf(
      createRunner().run({
        tool: 'sh',
        args: ['-c', 'for i in $(seq 1 15); do echo "line $i" >&2; done; exit 2'],
      }),
      CommandFailed,
    );
    expect(error.message.split('\n')).toEqual([
      'sh failed with exit code 2; last lines of stderr:',
      ...Array.from({ length: 10 }, (_, i) => `  line ${i + 6}`),
    ]);
  });

  /** Runs a shell script with a 300 ms timeout; says whether its pid lived at start, and after. */
  async function timeOut(script: string) {
    const bus = new EventBus<ExecEvent>();
    let pid: number | undefined;
    let aliveAtStart = false;
    bus.on((event) => {
      if (event.type !== 'command-start' || event.pid === undefined) return;
      pid = event.pid;
      aliveAtStart = isRunning(pid);
    });
    const started = Date.now();
    const error = await failureOf(
      createRunner({ events: bus }).run({ tool: 'sh', args: ['-c', script], timeoutMs: 300 }),
      CommandFailed,
    );
    const elapsed = Date.now() - started;
    return { error, elapsed, aliveAtStart, aliveAfter: pid !== undefined && isRunning(pid) };
  }

  test('a timeout kills the child (gone by pid) and says so', async () => {
    const { error, elapsed, aliveAtStart, aliveAfter } = await timeOut('exec sleep 30');
    expect(error.message).toBe('sh timed out after 300 ms and was killed (it printed nothing)');
    expect(error.ending).toEqual({ kind: 'timeout', timeoutMs: 300 });
    expect(elapsed).toBeLessThan(5000);
    expect(aliveAtStart).toBe(true);
    expect(aliveAfter).toBe(false);
  });

  test('a child that ignores SIGTERM is killed all the same', async () => {
    const { error, aliveAtStart, aliveAfter } = await timeOut('trap "" TERM; while :; do sleep 0.1; done');
    expect(aliveAtStart).toBe(true);
    expect(error.message).toMatch(/^sh timed out after 300 ms and was killed/);
    expect(aliveAfter).toBe(false);
  });
});

describe('missing tools', () => {
  test('an unknown tool is reported before anything is spawned', async () => {
    const { runner, events } = observed();
    const error = await failureOf(runner.run({ tool: 'definitely-not-a-tool', args: [] }), ToolNotFound);
    expect(error.message).toBe('definitely-not-a-tool not found');
    expect(error.hint).toMatch(/install the package that provides it, or fix PATH/);
    expect(events).toEqual([]);
  });

  test('a known tool missing from PATH names its Debian package', async () => {
    const error = await failureOf(
      createRunner().run({ tool: 'xorriso', args: ['-version'], env: { PATH: '' } }),
      ToolNotFound,
    );
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe('xorriso not found: apt-get install xorriso');
  });

  test('a PATH of its own is where the tool is looked up', async () => {
    await expect(createRunner().run({ tool: 'true', args: [], env: { PATH: dir } })).rejects.toThrow(
      'true not found',
    );
  });
});
