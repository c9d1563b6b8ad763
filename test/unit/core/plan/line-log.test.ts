import { expect, test } from 'vitest';
import { formatPlanEvent, planLineLogger } from '../../../../core/plan/line-log.ts';

const step = { id: 'squashfs', description: 'Compress the live system', index: 3, total: 12 };

test('plan events are one line each, saying where in the plan we are', () => {
  expect(formatPlanEvent({ type: 'plan-start', title: 'Build the DVD', actions: 12, dryRun: false })).toBe(
    '== Build the DVD: 12 actions',
  );
  expect(formatPlanEvent({ type: 'action-start', ...step })).toBe('-> [3/12] Compress the live system');
  expect(formatPlanEvent({ type: 'action-skip', reason: 'journal', ...step })).toBe(
    '-- [3/12] Compress the live system: already done (journal)',
  );
  expect(formatPlanEvent({ type: 'action-skip', reason: 'check', ...step })).toBe(
    '-- [3/12] Compress the live system: already done (checked)',
  );
  expect(formatPlanEvent({ type: 'action-end', durationMs: 34_000, ...step })).toBe(
    'ok [3/12] Compress the live system (34.0 s)',
  );
  expect(
    formatPlanEvent({
      type: 'action-failed',
      message: 'mksquashfs failed with exit code 1; last lines:\n  x',
      ...step,
    }),
  ).toBe('!! [3/12] Compress the live system: mksquashfs failed with exit code 1; last lines:');
  expect(
    formatPlanEvent({ type: 'plan-end', title: 'Build the DVD', ran: 9, skipped: 3, dryRun: false }),
  ).toBe('== Build the DVD: 9 ran, 3 already done');
  expect(formatPlanEvent({ type: 'plan-start', title: 'Build the DVD', actions: 12, dryRun: true })).toBe(
    '== Build the DVD: 12 actions (dry run: nothing is changed)',
  );
});

test('one logger renders both plan and command events', () => {
  let written = '';
  const log = planLineLogger({ write: (text: string) => (written += text) });
  log({ type: 'action-start', ...step });
  log({ type: 'dry-run', command: { tool: 'mksquashfs', args: ['root', 'live.squashfs'], stdin: false } });
  expect(written).toBe('-> [3/12] Compress the live system\n(dry run) $ mksquashfs root live.squashfs\n');
});
