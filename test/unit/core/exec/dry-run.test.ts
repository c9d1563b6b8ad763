import { expect, test } from 'vitest';
import { EventBus, type ExecEvent } from '../../../../core/exec/events.ts';
import { lineLogger } from '../../../../core/exec/line-log.ts';
import { createRunner } from '../../../../core/exec/runner.ts';
import { Secrets } from '../../../../core/exec/secrets.ts';

test('dry-run output shows the command with its secrets hidden, and reports success', async () => {
  const secrets = new Secrets();
  secrets.add('chap-s3cr3t');
  const events: ExecEvent[] = [];
  let log = '';
  const bus = new EventBus<ExecEvent>();
  bus.on((event) => events.push(event));
  bus.on(lineLogger({ write: (text: string) => (log += text) }));

  const runner = createRunner({ dryRun: true, secrets, events: bus });
  const result = await runner.run({ tool: 'iscsi-ls', args: ['-s', 'iscsi://vl%chap-s3cr3t@10.0.2.2'] });

  expect(result).toEqual({ exitCode: 0, stdout: '', stderr: '' });
  expect(events.map((e) => e.type)).toEqual(['dry-run']);
  expect(log).toBe("(dry run) $ iscsi-ls -s 'iscsi://vl%***@10.0.2.2'\n");
  expect(JSON.stringify(events)).not.toContain('chap-s3cr3t');
});

test('dry-run does not need the tool to be installed', async () => {
  const runner = createRunner({ dryRun: true });
  await expect(runner.run({ tool: 'definitely-not-a-tool', args: [] })).resolves.toMatchObject({
    exitCode: 0,
  });
});
