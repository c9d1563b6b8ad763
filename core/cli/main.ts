/** The `virtualinux` command on a build host or an administrator's machine: every command. */
import { imageCommands } from '../../images/commands.ts';
import { installCommands } from '../../installer/engine/command.ts';
import { recoveryCommands } from '../../installer/recovery/command.ts';
import { dvdCommands } from '../../iso/commands.ts';
import { labCommands } from '../../lab/commands.ts';
import { specCommands } from '../spec/commands.ts';
import type { Command, CommandIo } from './command.ts';
import { runCommandLine } from './dispatch.ts';

export const commands: Command[] = [
  ...specCommands,
  ...imageCommands,
  ...dvdCommands,
  ...installCommands,
  ...recoveryCommands,
  ...labCommands,
];

export const main = (argv: string[], io?: CommandIo) => runCommandLine(commands, argv, io);
