/** The shape of a CLI command: one entry per verb, listed in --help only when it works. */
import type { ParseArgsConfig } from 'node:util';

export interface CommandIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export interface CommandInput {
  positionals: string[];
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  io: CommandIo;
}

export interface Command {
  /** the words that select it, e.g. ['spec', 'check'] */
  words: string[];
  /** e.g. 'FILE...' */
  args: string;
  summary: string;
  options?: NonNullable<ParseArgsConfig['options']>;
  /** one line per option for --help */
  optionHelp?: string[];
  /** exit code */
  run(input: CommandInput): Promise<number> | number;
}

export const usageOf = (command: Command) =>
  `virtualinux ${command.words.join(' ')}${command.args ? ` ${command.args}` : ''}`;

/** the value of a string option, undefined when it was not given */
export const stringOption = (values: CommandInput['values'], key: string): string | undefined =>
  typeof values[key] === 'string' ? (values[key] as string) : undefined;
