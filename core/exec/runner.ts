/**
 * The one place where the product starts processes. Every command goes through `run`, which
 * - in dry-run, emits the command and runs nothing;
 * - checks the tool is installed (ToolNotFound names the Debian package);
 * - streams each output line as an event, redacted;
 * - turns a non-zero exit, a timeout or a signal into a CommandFailed.
 * Observers that only read the machine should use a runner without dryRun, so that a dry-run
 * still plans from the real state.
 */
import { execa } from 'execa';
import type { Command, CommandResult } from './command.ts';
import { type EventSink, type ExecEvent, ignoreEvents } from './events.ts';
import { commandFailed, type Ending } from './failure.ts';
import { locateTool } from './locate-tool.ts';
import { Secrets } from './secrets.ts';
import { ToolNotFound } from './tools.ts';

export interface RunnerOptions {
  dryRun?: boolean;
  secrets?: Secrets;
  events?: EventSink<ExecEvent>;
}

export interface Runner {
  readonly dryRun: boolean;
  /** Resolves when the command succeeded; rejects with ToolNotFound or CommandFailed. */
  run(command: Command): Promise<CommandResult>;
}

const nothingRan: CommandResult = { exitCode: 0, stdout: '', stderr: '' };

export function createRunner({
  dryRun = false,
  secrets = new Secrets(),
  events = ignoreEvents,
}: RunnerOptions = {}): Runner {
  async function run(command: Command): Promise<CommandResult> {
    const shown = secrets.show(command);
    if (dryRun) {
      events.emit({ type: 'dry-run', command: shown });
      return { ...nothingRan };
    }

    const searchPath = command.env?.PATH ?? process.env.PATH ?? '';
    const path = await locateTool(command.tool, searchPath, command.cwd);
    if (path === undefined) throw new ToolNotFound(command.tool, searchPath);

    const tap = (stream: 'stdout' | 'stderr') =>
      function* (line: unknown) {
        const text = String(line);
        events.emit({ type: 'output', tool: shown.tool, stream, line: secrets.redact(text) });
        const progress = command.progress?.(text);
        if (progress) events.emit({ type: 'progress', ...progress });
        yield text;
      };

    const started = performance.now();
    const child = execa(path, command.args, {
      ...(command.stdin === undefined ? { stdin: 'ignore' as const } : { input: command.stdin }),
      ...(command.env && { env: command.env }),
      ...(command.cwd !== undefined && { cwd: command.cwd }),
      ...(command.timeoutMs !== undefined && { timeout: command.timeoutMs }),
      stdout: tap('stdout'),
      stderr: tap('stderr'),
      reject: false,
    });
    events.emit({ type: 'command-start', command: shown, pid: child.pid });
    const result = await child;
    events.emit({
      type: 'command-end',
      tool: shown.tool,
      exitCode: result.exitCode,
      ...(result.signal && { signal: result.signal }),
      timedOut: result.timedOut,
      durationMs: Math.round(performance.now() - started),
    });

    const output = { stdout: String(result.stdout), stderr: String(result.stderr) };
    const ending = endingOf(result, command);
    if (
      ending.kind === 'exit' &&
      (ending.exitCode === 0 || command.allowExitCodes?.includes(ending.exitCode))
    ) {
      return { exitCode: ending.exitCode, ...output };
    }
    throw commandFailed(shown, ending, output, secrets);
  }

  return { dryRun, run };
}

function endingOf(
  result: { exitCode?: number; signal?: string; timedOut: boolean; isMaxBuffer: boolean; code?: string },
  command: Command,
): Ending {
  if (result.timedOut) return { kind: 'timeout', timeoutMs: command.timeoutMs ?? 0 };
  if (result.exitCode !== undefined) return { kind: 'exit', exitCode: result.exitCode };
  if (result.signal) return { kind: 'signal', signal: result.signal };
  if (result.isMaxBuffer) {
    return { kind: 'error', what: 'printed more output than can be kept, and was stopped' };
  }
  // The tool itself was found, so ENOENT from spawn means something it needs is missing.
  if (result.code === 'ENOENT') {
    return {
      kind: 'error',
      what: 'could not be started: its working directory or its interpreter is missing',
    };
  }
  return { kind: 'error', what: `could not be started (${result.code ?? 'unknown error'})` };
}
