/**
 * The executor: runs a plan's actions in order through the runner, skipping what the journal or
 * an action's check says is done, and journaling each action once all its commands succeeded.
 * A failure stops the plan; the journal keeps what was done, so the next run resumes there.
 * With a dry-run runner, every action and command is shown, no check runs and nothing is journaled.
 */
import { type EventSink, ignoreEvents } from '../exec/events.ts';
import type { Runner } from '../exec/runner.ts';
import type { ActionStep, PlanEvent } from './events.ts';
import { inputHash } from './input-hash.ts';
import type { Journal } from './journal.ts';
import type { Action, Plan } from './plan.ts';

export interface ApplyOptions {
  runner: Runner;
  journal: Journal;
  events?: EventSink<PlanEvent>;
}

/** Action ids, in plan order. */
export interface PlanOutcome {
  ran: string[];
  skipped: string[];
}

function assertUniqueIds(plan: Plan): void {
  const seen = new Set<string>();
  for (const { id } of plan.actions) {
    if (seen.has(id)) throw new Error(`plan "${plan.title}" has two actions with id "${id}"`);
    seen.add(id);
  }
}

async function whyDone(
  action: Action,
  hash: string,
  journal: Journal,
): Promise<'journal' | 'check' | undefined> {
  if (journal.isDone(action.id, hash)) return 'journal';
  if (action.check && (await action.check())) return 'check';
  return undefined;
}

export async function applyPlan(
  plan: Plan,
  { runner, journal, events = ignoreEvents }: ApplyOptions,
): Promise<PlanOutcome> {
  assertUniqueIds(plan);
  const outcome: PlanOutcome = { ran: [], skipped: [] };
  const total = plan.actions.length;
  events.emit({ type: 'plan-start', title: plan.title, actions: total, dryRun: runner.dryRun });

  for (const [position, action] of plan.actions.entries()) {
    const step: ActionStep = { id: action.id, description: action.description, index: position + 1, total };
    const hash = inputHash(action.inputs);
    try {
      if (!runner.dryRun) {
        const reason = await whyDone(action, hash, journal);
        if (reason) {
          if (reason === 'check') await journal.markDone(action.id, hash);
          events.emit({ type: 'action-skip', reason, ...step });
          outcome.skipped.push(action.id);
          continue;
        }
      }
      events.emit({ type: 'action-start', ...step });
      const started = performance.now();
      for (const command of action.commands) await runner.run(command);
      if (!runner.dryRun) await journal.markDone(action.id, hash);
      events.emit({ type: 'action-end', durationMs: Math.round(performance.now() - started), ...step });
      outcome.ran.push(action.id);
    } catch (error) {
      events.emit({
        type: 'action-failed',
        message: error instanceof Error ? error.message : String(error),
        ...step,
      });
      throw error;
    }
  }

  events.emit({
    type: 'plan-end',
    title: plan.title,
    ran: outcome.ran.length,
    skipped: outcome.skipped.length,
    dryRun: runner.dryRun,
  });
  return outcome;
}
