/**
 * A command is data, never a shell string: the tool, its arguments one by one, and how to feed it.
 * Planners build these; only the runner (runner.ts) turns one into a process.
 */

/** What a progress-reporting tool said about itself, parsed from one line of its output. */
export interface Progress {
  stage: string;
  done: number;
  total?: number;
  unit: 'bytes' | 'items';
  /** units per second, when the tool reports it */
  rate?: number;
}

export interface Command {
  /** a name looked up on PATH (the command's own PATH when `env` sets one), or a path */
  tool: string;
  args: string[];
  // Secrets go by stdin (or a 0600 file), never argv: /proc/PID/cmdline is world-readable.
  stdin?: string | Uint8Array;
  /** added to the environment of this process */
  env?: Record<string, string>;
  cwd?: string;
  /** the process gets SIGTERM after this long, then SIGKILL if it lingers */
  timeoutMs?: number;
  /** exit codes that are answers, not failures (e.g. 1 from `grep` or `lvs` finding nothing) */
  allowExitCodes?: number[];
  /** reads progress from an output line, for tools that report it (mksquashfs, mmdebstrap, ...) */
  progress?: (line: string) => Progress | undefined;
}

export interface CommandResult {
  exitCode: number;
  /** the child's own output, unredacted: it is data for the caller, never to be logged as is */
  stdout: string;
  stderr: string;
}

/** A command as it may be shown: every string already redacted, stdin only as a mark. */
export interface ShownCommand {
  tool: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  stdin: boolean;
}

const plainWord = /^[\w@%+=:,./-]+$/;

/** Quotes a word the way a POSIX shell would read it back. */
export function shellQuote(word: string): string {
  return plainWord.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** One line an administrator can read (and, secrets aside, paste into a shell). */
export function formatCommand(command: ShownCommand): string {
  const env = Object.entries(command.env ?? {}).map(([key, value]) => `${key}=${shellQuote(value)}`);
  const words = [...env, shellQuote(command.tool), ...command.args.map(shellQuote)].join(' ');
  const inDir = command.cwd === undefined ? '' : ` (in ${command.cwd})`;
  return `${words}${command.stdin ? ' < stdin' : ''}${inDir}`;
}
