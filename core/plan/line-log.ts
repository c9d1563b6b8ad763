/** Plan and exec events as plain lines: the log of a whole operation, for CI and non-TTY output. */

import type { ExecEvent } from '../exec/events.ts';
import { formatExecEvent, type LineOutput } from '../exec/line-log.ts';
import { formatDuration } from '../exec/units.ts';
import type { ActionStep, PlanEvent } from './events.ts';

const where = (step: ActionStep) => `[${step.index}/${step.total}] ${step.description}`;

export function formatPlanEvent(event: PlanEvent): string {
  switch (event.type) {
    case 'plan-start':
      return `== ${event.title}: ${event.actions} actions${event.dryRun ? ' (dry run: nothing is changed)' : ''}`;
    case 'action-start':
      return `-> ${where(event)}`;
    case 'action-skip':
      return `-- ${where(event)}: already done (${event.reason === 'journal' ? 'journal' : 'checked'})`;
    case 'action-end':
      return `ok ${where(event)} (${formatDuration(event.durationMs)})`;
    case 'action-failed':
      return `!! ${where(event)}: ${event.message.split('\n')[0]}`;
    case 'plan-end':
      return event.dryRun
        ? `== ${event.title}: ${event.ran} actions shown, nothing changed`
        : `== ${event.title}: ${event.ran} ran, ${event.skipped} already done`;
  }
}

// A Record keyed by every PlanEvent type, so that a new event type cannot be forgotten here.
const planEventTypes: Record<PlanEvent['type'], true> = {
  'plan-start': true,
  'action-start': true,
  'action-skip': true,
  'action-end': true,
  'action-failed': true,
  'plan-end': true,
};

function isPlanEvent(event: ExecEvent | PlanEvent): event is PlanEvent {
  return Object.hasOwn(planEventTypes, event.type);
}

/** A listener for an EventBus<ExecEvent | PlanEvent>, one line per event. */
export function planLineLogger(out: LineOutput): (event: ExecEvent | PlanEvent) => void {
  return (event) => {
    out.write(`${isPlanEvent(event) ? formatPlanEvent(event) : formatExecEvent(event)}\n`);
  };
}
