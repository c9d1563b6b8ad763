/**
 * A command that did not succeed, told to the administrator: which tool, how it ended, and the last
 * lines it wrote, all redacted. No stack, no spawn internals.
 */
import { UserError } from '../errors.ts';
import { formatCommand, type ShownCommand } from './command.ts';
import type { Secrets } from './secrets.ts';
import { formatDuration } from './units.ts';

export const TAIL_LINES = 10;

/** How a process ended, from the runner's point of view. */
export type Ending =
  | { kind: 'exit'; exitCode: number }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'signal'; signal: string }
  /** anything else; `what` completes the sentence "<tool> ..." */
  | { kind: 'error'; what: string };

export class CommandFailed extends UserError {
  constructor(
    readonly tool: string,
    readonly ending: Ending,
    message: string,
    hint: string,
  ) {
    super(message, hint);
  }
}

function headline(tool: string, ending: Ending): string {
  switch (ending.kind) {
    case 'exit':
      return `${tool} failed with exit code ${ending.exitCode}`;
    case 'timeout':
      return `${tool} timed out after ${formatDuration(ending.timeoutMs)} and was killed`;
    case 'signal':
      return `${tool} was killed by ${ending.signal}`;
    case 'error':
      return `${tool} ${ending.what}`;
  }
}

function lastLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-TAIL_LINES);
}

/** Many tools report errors on stdout, so stdout speaks when stderr is silent. */
export function commandFailed(
  shown: ShownCommand,
  ending: Ending,
  output: { stdout: string; stderr: string },
  secrets: Secrets,
): CommandFailed {
  const stream = output.stderr.trim() !== '' ? 'stderr' : 'stdout';
  const tail = lastLines(output[stream]);
  let said = '';
  if (tail.length > 0) said = `; last lines of ${stream}:\n${tail.map((line) => `  ${line}`).join('\n')}`;
  else if (ending.kind !== 'error') said = ' (it printed nothing)';
  return new CommandFailed(
    shown.tool,
    ending,
    secrets.redact(`${headline(shown.tool, ending)}${said}`),
    secrets.redact(`the command was: ${formatCommand(shown)}`),
  );
}
