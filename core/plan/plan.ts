/**
 * A plan is what an operation will do, as data: named actions, each with a description for the
 * administrator and the exact commands. Planners build plans (pure); applyPlan (apply.ts) runs them.
 */
import type { Command } from '../exec/command.ts';

export interface Action {
  /** stable across runs: the journal remembers actions by id */
  id: string;
  description: string;
  commands: Command[];
  /** idempotence: resolves true when the machine is already in the desired state, so nothing runs */
  check?: () => Promise<boolean>;
  /** whatever the commands were derived from; a change makes a journaled action run again. No secrets here. */
  inputs?: unknown;
}

export interface Plan {
  title: string;
  actions: Action[];
}
