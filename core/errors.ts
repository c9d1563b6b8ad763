/**
 * An error meant for the administrator: what is wrong, and how to fix it.
 * The CLI prints `message` (and `hint` on its own line) and exits with `exitCode`, never a stack trace.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/** A command line the user got wrong: exit 2, like every Unix tool. */
export class UsageError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, hint, 2);
  }
}

/** the exit code of a bug, any error that is not a UserError: EX_SOFTWARE of sysexits.h */
export const INTERNAL_ERROR_EXIT = 70;
