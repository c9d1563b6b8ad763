/**
 * The install as the Progress screen follows it: one line per action of the plan with its state,
 * the transfer of the current action (bytes and rate of an image write), and a log of the
 * commands and their output. Built from the engine's events only (already redacted), by a pure
 * function, so a recorded event stream replays into the same screen.
 */
import type { InstallEvent } from '../engine/install.ts';
import type { Failure } from './port.ts';

export type ActionState = 'waiting' | 'running' | 'done' | 'skipped' | 'failed';

export interface ActionLine {
  id: string;
  description: string;
  state: ActionState;
  durationMs?: number;
}

/** the progress of the running action, from the tool's own reports */
export interface Transfer {
  stage: string;
  done: number;
  total?: number;
  unit: 'bytes' | 'items';
  /** units per second as the tool reports it */
  rate?: number;
  /** the first report of this stage, to compute a rate when the tool gives none */
  first: { at: number; done: number };
  at: number;
}

/** a line of the log; n counts every line logged, the first being 1 */
export interface LogLine {
  n: number;
  text: string;
}

export type InstallState = 'running' | 'stopping' | 'stopped' | 'failed' | 'finished';

export interface InstallProgress {
  state: InstallState;
  actions: ActionLine[];
  startedAt?: number;
  now?: number;
  transfer?: Transfer;
  log: LogLine[];
  showLog: boolean;
  failure?: Failure;
}

/** the log pane keeps this many lines; the engine's journal and the install report keep everything */
export const LOG_LINES = 400;

export const startProgress = (actions: readonly { id: string; description: string }[]): InstallProgress => ({
  state: 'running',
  actions: actions.map((a) => ({ id: a.id, description: a.description, state: 'waiting' })),
  log: [],
  showLog: false,
});

function logged(progress: InstallProgress, ...lines: string[]): LogLine[] {
  const last = progress.log.at(-1)?.n ?? 0;
  return [...progress.log, ...lines.map((text, i) => ({ n: last + i + 1, text }))].slice(-LOG_LINES);
}

function withAction(
  progress: InstallProgress,
  step: { id: string; description: string },
  change: Partial<ActionLine>,
): ActionLine[] {
  const known = progress.actions.some((a) => a.id === step.id);
  const actions = known
    ? progress.actions
    : [...progress.actions, { id: step.id, description: step.description, state: 'waiting' as const }];
  return actions.map((a) => (a.id === step.id ? { ...a, ...change } : a));
}

export function onInstallEvent(progress: InstallProgress, event: InstallEvent, at: number): InstallProgress {
  const p = { ...progress, now: at };
  switch (event.type) {
    case 'plan-start':
      return {
        ...p,
        startedAt: p.startedAt ?? at,
        log: logged(p, `${event.title}: ${event.actions} actions`),
      };
    case 'action-start': {
      const { transfer: _, ...rest } = p;
      return {
        ...rest,
        actions: withAction(p, event, { state: 'running' }),
        log: logged(p, `[${event.index}/${event.total}] ${event.description}`),
      };
    }
    case 'action-skip':
      return {
        ...p,
        actions: withAction(p, event, { state: 'skipped' }),
        log: logged(p, `[${event.index}/${event.total}] done before (${event.reason}): ${event.description}`),
      };
    case 'action-end': {
      const { transfer: _, ...rest } = p;
      return { ...rest, actions: withAction(p, event, { state: 'done', durationMs: event.durationMs }) };
    }
    case 'action-failed':
      return { ...p, actions: withAction(p, event, { state: 'failed' }), log: logged(p, event.message) };
    case 'plan-end':
      return { ...p, log: logged(p, `${event.ran} actions ran, ${event.skipped} done before`) };
    case 'dry-run':
      return { ...p, log: logged(p, `(dry run) ${[event.command.tool, ...event.command.args].join(' ')}`) };
    case 'command-start':
      return { ...p, log: logged(p, `$ ${[event.command.tool, ...event.command.args].join(' ')}`) };
    case 'output':
      return { ...p, log: logged(p, event.line) };
    case 'command-end': {
      const failed = event.exitCode !== 0;
      const how = event.timedOut
        ? 'timed out'
        : event.signal
          ? `killed by ${event.signal}`
          : `exited ${event.exitCode}`;
      return failed ? { ...p, log: logged(p, `${event.tool} ${how}`) } : p;
    }
    case 'progress': {
      const same = p.transfer?.stage === event.stage;
      const transfer: Transfer = {
        stage: event.stage,
        done: event.done,
        unit: event.unit,
        first: same && p.transfer ? p.transfer.first : { at, done: event.done },
        at,
        ...(event.total !== undefined && { total: event.total }),
        ...(event.rate !== undefined && { rate: event.rate }),
      };
      return { ...p, transfer };
    }
  }
}

/** units per second: the tool's figure, else measured since the stage's first report */
export function transferRate(transfer: Transfer): number | undefined {
  if (transfer.rate !== undefined) return transfer.rate;
  const seconds = (transfer.at - transfer.first.at) / 1000;
  return seconds > 0 ? (transfer.done - transfer.first.done) / seconds : undefined;
}

/** seconds until the transfer ends at its present rate */
export function remainingSeconds(transfer: Transfer): number | undefined {
  const rate = transferRate(transfer);
  if (transfer.total === undefined || !rate || rate <= 0) return undefined;
  return Math.max(0, (transfer.total - transfer.done) / rate);
}

/** 75 → 1:15, 3725 → 1:02:05 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const [h, m, rest] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(rest).padStart(2, '0')}`;
}

/** [#######.......] in `width` characters, ASCII for serial consoles */
export function progressBar(done: number, total: number, width: number): string {
  const inner = Math.max(1, width - 2);
  const filled = total > 0 ? Math.min(inner, Math.round((done / total) * inner)) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(inner - filled)}]`;
}

/** actions finished (done or done before), of all */
export const finishedActions = (progress: InstallProgress) =>
  progress.actions.filter((a) => a.state === 'done' || a.state === 'skipped').length;
