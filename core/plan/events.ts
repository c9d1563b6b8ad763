/** What applyPlan tells the world, action by action; commands inside an action emit ExecEvents. */

export interface ActionStep {
  id: string;
  description: string;
  /** 1-based position in the plan */
  index: number;
  total: number;
}

export type PlanEvent =
  | { type: 'plan-start'; title: string; actions: number; dryRun: boolean }
  | ({ type: 'action-start' } & ActionStep)
  | ({ type: 'action-skip'; reason: 'journal' | 'check' } & ActionStep)
  | ({ type: 'action-end'; durationMs: number } & ActionStep)
  | ({ type: 'action-failed'; message: string } & ActionStep)
  | { type: 'plan-end'; title: string; ran: number; skipped: number; dryRun: boolean };
