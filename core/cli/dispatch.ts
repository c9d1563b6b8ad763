/**
 * The command line of `virtualinux`: finds the command named by the first words, parses its
 * options, runs it. A UserError prints its message and hint, never a stack trace; usage errors
 * exit 2. The host's CLI (main.ts) and the DVD's live system (installer/main.ts) each give their
 * own list of commands.
 */
import { parseArgs } from 'node:util';
import { INTERNAL_ERROR_EXIT, UsageError, UserError } from '../errors.ts';
import { version } from '../version.ts';
import { closest } from '../yaml/did-you-mean.ts';
import { type Command, type CommandIo, usageOf } from './command.ts';

function help(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => usageOf(c).length));
  const lines = commands.map((c) => `  ${usageOf(c).padEnd(width)}  ${c.summary}`);
  const options = commands.flatMap((c) =>
    (c.optionHelp ?? []).map((line) => `  ${c.words.join(' ')}: ${line}`),
  );
  return [
    `VirtuaLinux ${version()}: masterless clusters of diskless blades on a SAN`,
    '',
    'Usage: virtualinux COMMAND [OPTIONS]',
    '',
    'Commands:',
    ...lines,
    ...(options.length > 0 ? ['', 'Options:', ...options] : []),
    '',
    '  virtualinux --help      this text',
    '  virtualinux --version   the version',
    '',
  ].join('\n');
}

function find(commands: Command[], argv: string[]): { command: Command; rest: string[] } | undefined {
  const matches = commands.filter((c) => c.words.every((word, i) => argv[i] === word));
  const command = matches.sort((a, b) => b.words.length - a.words.length)[0];
  return command && { command, rest: argv.slice(command.words.length) };
}

async function dispatch(commands: Command[], argv: string[], io: CommandIo): Promise<number> {
  const [first] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.out.write(help(commands));
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-V') {
    io.out.write(`${version()}\n`);
    return 0;
  }
  const found = find(commands, argv);
  if (!found) {
    const typed = argv.slice(0, 2).join(' ');
    const suggestion = closest(
      typed,
      commands.map((c) => c.words.join(' ')),
    );
    throw new UsageError(
      `unknown command: ${typed}`,
      suggestion ? `did you mean: virtualinux ${suggestion}?` : 'see: virtualinux --help',
    );
  }
  const { command, rest } = found;
  // what follows `--` belongs to another program (lab exec NODE -- CMD --help)
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (own.includes('--help') || own.includes('-h')) {
    io.out.write(
      [`usage: ${usageOf(command)}`, command.summary, ...(command.optionHelp ?? []), ''].join('\n'),
    );
    return 0;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
  } catch (error) {
    const first = /^[^.]*\./.exec((error as Error).message)?.[0] ?? 'bad arguments';
    throw new UsageError(first, `usage: ${usageOf(command)}`);
  }
  return command.run({ positionals: parsed.positionals, values: parsed.values, io });
}

/** Runs the command that argv names, out of `commands`; resolves to the exit code. */
export async function runCommandLine(
  commands: Command[],
  argv: string[],
  io: CommandIo = { out: process.stdout, err: process.stderr },
): Promise<number> {
  try {
    return await dispatch(commands, argv, io);
  } catch (error) {
    if (error instanceof UserError) {
      io.err.write(`virtualinux: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ''}`);
      return error.exitCode;
    }
    // a bug, not bad input: say so plainly; the stack only when asked for
    const detail = process.env.VIRTUALINUX_DEBUG ? `\n${(error as Error).stack}` : '';
    io.err.write(
      `virtualinux: internal error: ${(error as Error).message}${detail}\n  please report it, with VIRTUALINUX_DEBUG=1 set\n`,
    );
    return INTERNAL_ERROR_EXIT;
  }
}
