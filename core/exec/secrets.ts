/**
 * The secrets of this run (CHAP passwords, keys): registered once, replaced by `***` in every event,
 * log line and error message the exec layer produces.
 */
import { UserError } from '../errors.ts';
import type { Command, ShownCommand } from './command.ts';

export const MIN_SECRET_LENGTH = 4;
export const REDACTED = '***';

export class Secrets {
  readonly #values = new Set<string>();

  add(value: string): void {
    if (value.length < MIN_SECRET_LENGTH) {
      throw new UserError(
        `a secret must be at least ${MIN_SECRET_LENGTH} characters long`,
        'a shorter one would be hidden everywhere it happens to appear, and is too weak anyway: choose a longer one',
      );
    }
    this.#values.add(value);
    // Output is redacted line by line, so each line of a multi-line secret must be known on its own.
    for (const line of value.split('\n')) {
      if (line.length >= MIN_SECRET_LENGTH) this.#values.add(line);
    }
  }

  /** Hides every occurrence of every secret, overlapping ones included, each hidden stretch as one `***`. */
  redact(text: string): string {
    const hidden: Array<[start: number, end: number]> = [];
    for (const value of this.#values) {
      for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1)) {
        hidden.push([at, at + value.length]);
      }
    }
    if (hidden.length === 0) return text;
    hidden.sort((a, b) => a[0] - b[0]);
    const stretches: Array<[start: number, end: number]> = [];
    for (const [start, end] of hidden) {
      const last = stretches.at(-1);
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else stretches.push([start, end]);
    }
    let shown = '';
    let cursor = 0;
    for (const [start, end] of stretches) {
      shown += text.slice(cursor, start) + REDACTED;
      cursor = end;
    }
    return shown + text.slice(cursor);
  }

  /** The command as it may be shown in events, logs and errors. */
  show(command: Command): ShownCommand {
    const env =
      command.env && Object.fromEntries(Object.entries(command.env).map(([k, v]) => [k, this.redact(v)]));
    return {
      tool: this.redact(command.tool),
      args: command.args.map((arg) => this.redact(arg)),
      ...(env && { env }),
      ...(command.cwd !== undefined && { cwd: this.redact(command.cwd) }),
      stdin: command.stdin !== undefined,
    };
  }
}
