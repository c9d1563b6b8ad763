/**
 * An error that escapes every command's own handling (thrown in a timer, an event handler, a
 * promise nobody awaits: the guided installer's screen drawn by Ink on a timer is one) would make
 * Node print a stack trace and exit 1. Instead: one plain line that says it is a bug, the stack
 * kept in a report file (mode 0600) for whoever reports it, and exit 70 as runCommandLine does for
 * an internal error. Journaled work (install, reset, image and DVD builds) resumes when the same
 * command runs again.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INTERNAL_ERROR_EXIT } from '../errors.ts';
import { version } from '../version.ts';

/** the text of a crash report: what crashed, where, and the whole stack */
export function crashReport(error: unknown, argv: string[], when: Date): string {
  const stack = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return [
    `virtualinux ${version()} crashed at ${when.toISOString()}`,
    `command: virtualinux ${argv.join(' ')}`,
    `node: ${process.version} ${process.platform}-${process.arch}`,
    '',
    stack,
    '',
  ].join('\n');
}

/** Registers the handlers; `argv` is the command's own arguments (never a secret: secrets come from files). */
export function reportCrashes(argv: string[], dir = tmpdir()): void {
  // the whole stack in a report: Node's default of 10 frames cut the guided installer's crash in
  // yoga's wasm short of Ink's own frames
  Error.stackTraceLimit = Math.max(Error.stackTraceLimit, 50);
  let crashed = false;
  const crash = (error: unknown) => {
    // a second error while reporting the first: leave at once
    if (crashed) process.exit(INTERNAL_ERROR_EXIT);
    crashed = true;
    const when = new Date();
    const message = error instanceof Error ? error.message : String(error);
    const file = join(dir, `virtualinux-crash-${when.getTime()}-${process.pid}.txt`);
    let where: string;
    try {
      writeFileSync(file, crashReport(error, argv, when), { mode: 0o600 });
      where = `the details are in ${file}`;
    } catch {
      where = 'no report could be written';
    }
    const detail = process.env.VIRTUALINUX_DEBUG && error instanceof Error ? `\n${error.stack}` : '';
    process.stderr.write(
      `\nvirtualinux: internal error: ${message.split('\n')[0]}${detail}\n` +
        `  ${where}; please report it. Run the same command again: journaled work resumes.\n`,
    );
    process.exit(INTERNAL_ERROR_EXIT);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}
