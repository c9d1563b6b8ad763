/**
 * What the exec layer tells the world while it works: typed events on a small bus.
 * The CLI renders them as plain lines (line-log.ts), the TUI as screens; neither runs anything.
 * Every string in an event is already redacted.
 */
import type { Progress, ShownCommand } from './command.ts';

export type ExecEvent =
  | { type: 'dry-run'; command: ShownCommand }
  | { type: 'command-start'; command: ShownCommand; pid: number | undefined }
  | { type: 'output'; tool: string; stream: 'stdout' | 'stderr'; line: string }
  | {
      type: 'command-end';
      tool: string;
      /** undefined when the process was killed by a signal or never started */
      exitCode: number | undefined;
      signal?: string;
      timedOut: boolean;
      durationMs: number;
    }
  | ({ type: 'progress' } & Progress);

/** Where events go; the executor and the runner only emit. */
export interface EventSink<E> {
  emit(event: E): void;
}

export const ignoreEvents: EventSink<never> = { emit: () => {} };

/** One bus for a whole operation: `new EventBus<ExecEvent | PlanEvent>()` feeds both layers. */
export class EventBus<E> implements EventSink<E> {
  readonly #listeners = new Set<(event: E) => void>();

  /** Returns the function that unsubscribes. */
  on(listener: (event: E) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: E): void {
    for (const listener of this.#listeners) listener(event);
  }
}
