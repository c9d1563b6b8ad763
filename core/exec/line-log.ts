/**
 * Exec events as plain lines, one per event, for CI logs and terminals that are not a TTY.
 * Events arrive redacted; this only renders them.
 */
import { formatCommand } from './command.ts';
import type { ExecEvent } from './events.ts';
import { formatBytes, formatDuration } from './units.ts';

/** Anything with `write`, e.g. process.stderr or a file stream. */
export interface LineOutput {
  write(text: string): unknown;
}

function amount(value: number, unit: 'bytes' | 'items'): string {
  return unit === 'bytes' ? formatBytes(value) : `${value} items`;
}

export function formatExecEvent(event: ExecEvent): string {
  switch (event.type) {
    case 'dry-run':
      return `(dry run) $ ${formatCommand(event.command)}`;
    case 'command-start':
      return `$ ${formatCommand(event.command)}`;
    case 'output':
      return `  ${event.stream === 'stdout' ? '|' : '!'} ${event.line}`;
    case 'command-end': {
      const after = `after ${formatDuration(event.durationMs)}`;
      if (event.timedOut) return `  ${event.tool} timed out, killed ${after}`;
      if (event.exitCode === undefined)
        return `  ${event.tool} killed by ${event.signal ?? 'a signal'} ${after}`;
      return `  ${event.tool} exited ${event.exitCode} ${after}`;
    }
    case 'progress': {
      const percent = event.total ? ` ${Math.floor((100 * event.done) / event.total)}%` : '';
      const of = event.total === undefined ? '' : ` of ${amount(event.total, event.unit)}`;
      const rate = event.rate === undefined ? '' : `, ${amount(event.rate, event.unit)}/s`;
      return `  ~ ${event.stage}${percent} (${amount(event.done, event.unit)}${of}${rate})`;
    }
  }
}

/** A listener for EventBus.on that writes one line per event. */
export function lineLogger(out: LineOutput): (event: ExecEvent) => void {
  return (event) => {
    out.write(`${formatExecEvent(event)}\n`);
  };
}
