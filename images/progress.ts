/**
 * What an image build shows while it runs. Plain lines (CI, pipes): one per step, the builder's own
 * stage lines (mmdebstrap's "I:"), and progress at most every few seconds. On a terminal: the same
 * step lines, with one status line below them rewritten in place (stage, bytes, rate).
 * --verbose adds every line the tools print.
 */
import { formatCommand } from '../core/exec/command.ts';
import { formatExecEvent, type LineOutput } from '../core/exec/line-log.ts';
import { formatBytes } from '../core/exec/units.ts';
import { formatPlanEvent } from '../core/plan/line-log.ts';
import type { ImageEvent } from './build.ts';

export interface ImageLoggerOptions {
  tty: boolean;
  verbose: boolean;
  /** plain mode: the least time between two progress lines */
  progressEveryMs?: number;
  now?: () => number;
}

/** lines of the tools worth showing without --verbose: stages, warnings, errors */
const notable = /^(I|W|E): |^(Error|Warning|Installing|Complete!)/;

export function imageLogger(
  out: LineOutput,
  { tty, verbose, progressEveryMs = 5000, now = () => Date.now() }: ImageLoggerOptions,
): (event: ImageEvent) => void {
  let status = '';
  let lastProgress = Number.NEGATIVE_INFINITY;
  const line = (text: string) => {
    if (tty && status) out.write('\r\x1b[2K');
    out.write(`${text}\n`);
    if (tty && status) out.write(status);
  };
  const setStatus = (text: string) => {
    if (!tty) return;
    status = text.slice(0, (process.stderr.columns || 100) - 1);
    out.write(`\r\x1b[2K${status}`);
  };

  return (event) => {
    switch (event.type) {
      case 'plan-start':
      case 'action-skip':
      case 'action-failed':
      case 'plan-end':
      case 'dry-run':
        if (event.type === 'plan-end' && tty) {
          status = '';
          out.write('\r\x1b[2K');
        }
        line(event.type === 'dry-run' ? formatExecEvent(event) : formatPlanEvent(event));
        return;
      case 'action-start':
        line(formatPlanEvent(event));
        setStatus(`   ${event.description}`);
        return;
      case 'action-end':
        if (tty && status) {
          out.write('\r\x1b[2K');
          status = '';
        }
        line(formatPlanEvent(event));
        return;
      case 'command-start':
        if (verbose) line(`$ ${formatCommand(event.command)}`);
        return;
      case 'command-end':
        if (verbose) line(formatExecEvent(event));
        return;
      case 'output':
        if (verbose) line(formatExecEvent(event));
        else if (notable.test(event.line)) {
          if (tty) setStatus(`   ${event.line}`);
          else line(`   ${event.line}`);
        }
        return;
      case 'progress': {
        const of = event.total === undefined ? '' : ` of ${formatBytes(event.total)}`;
        const text = `   ${event.stage}: ${event.unit === 'bytes' ? formatBytes(event.done) : event.done}${of}`;
        if (tty) setStatus(text);
        else if (now() - lastProgress >= progressEveryMs) {
          lastProgress = now();
          line(text);
        }
        return;
      }
    }
  };
}
