/**
 * The program the DVD's live system starts on every console (tty1, ttyS0; see
 * overlays/live/etc/systemd/system/virtualinux-installer@.service) until the Ink TUI lands:
 * a plain text menu that works on a serial line, with a root shell one key away.
 *
 * Bundled into one file by installer/bundle.ts, which fixes the version at bundle time; run
 * unbundled (`npx tsx installer/main.ts`) it reads the version from package.json.
 */
// first: V8's WebAssembly flags hold only for modules compiled after them (core/cli/wasm.ts)
import '../core/cli/wasm.ts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { reportCrashes } from '../core/cli/crash.ts';
import { runCommandLine } from '../core/cli/dispatch.ts';
import { quietOnClosedPipe } from '../core/cli/pipe.ts';
import { INTERNAL_ERROR_EXIT, UsageError, UserError } from '../core/errors.ts';
import { createRunner } from '../core/exec/runner.ts';
import { specCommands } from '../core/spec/commands.ts';
import { version } from '../core/version.ts';
import { parseBootRequest, primaryConsole } from './boot-request.ts';
import { installCommands } from './engine/command.ts';
import { liveMachine, observeSpecSources, unattendedNotice, unattendedResultFile } from './machine.ts';
import { recoveryCommands } from './recovery/command.ts';
import { type InstallerMachine, runSession } from './session.ts';
import { terminalConsole } from './terminal.ts';
import { runUnattended, type UnattendedOptions } from './unattended.ts';

const name = 'virtualinux-installer';

const usage = `usage: ${name} [--cmdline FILE] [--root DIR] [--tty NAME] [--version]
  --cmdline FILE  read the kernel command line from FILE (default: ROOT/proc/cmdline)
  --root DIR      look for the machine's files under DIR instead of / (for tests)
  --tty NAME      the console this instance runs on (tty1, ttyS0): an unattended install
                  runs on the kernel's primary console only
`;

function readCmdline(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(
      `cannot read the kernel command line from ${path}: ${(error as NodeJS.ErrnoException).code}`,
      'is /proc mounted? give another file with --cmdline FILE',
    );
  }
}

async function run(argv: string[]): Promise<number> {
  let values: { cmdline?: string; root?: string; tty?: string; version?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        cmdline: { type: 'string' },
        root: { type: 'string' },
        tty: { type: 'string' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(/^[^.]*/.exec((error as Error).message)?.[0] ?? 'bad arguments', usage.trimEnd());
  }
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }

  const root = values.root ?? '/';
  const cmdline = readCmdline(values.cmdline ?? join(root, 'proc/cmdline'));
  const boot = parseBootRequest(cmdline);
  const specSources = observeSpecSources(boot, root);
  const runner = createRunner();
  const live = { version: version(), boot, sources: specSources, root, program: process.argv[1] ?? name };
  const machine = liveMachine(runner, live);
  const primary = primaryConsole(cmdline);
  const onPrimary = values.tty === undefined || values.tty === primary;
  let notice: string | undefined;
  if (boot.mode === 'unattended') {
    notice = onPrimary
      ? await unattendedOnce({ ...live, runner })
      : `The unattended install runs on ${primary}; its verdict is shown there.`;
  }
  if (boot.mode === 'install') notice = await guidedOnce(machine, root, onPrimary ? undefined : primary);
  const terminal = terminalConsole(process.stdin, process.stdout);
  try {
    return await runSession({
      version: version(),
      boot,
      specSources,
      console: terminal,
      machine,
      ...(notice !== undefined && { notice }),
    });
  } finally {
    terminal.close();
  }
}

/**
 * The unattended install, once per boot: the installer restarts whenever it exits (its unit says
 * Restart=always), and a restart shows the verdict the first run left in /run instead of repeating it.
 */
async function unattendedOnce(options: Omit<UnattendedOptions, 'write'>): Promise<string> {
  const file = unattendedResultFile(options.root);
  if (!existsSync(file)) {
    const result = await runUnattended({ ...options, write: (text) => process.stdout.write(text) });
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${result.status}\n`);
  }
  return unattendedNotice(readFileSync(file, 'utf8').trim());
}

/**
 * The Install entry: the guided installer starts by itself on the primary console, once per boot
 * (leaving it shows the menu, where i starts it again); the other consoles show the menu.
 */
async function guidedOnce(
  machine: InstallerMachine,
  root: string,
  primary: string | undefined,
): Promise<string> {
  if (primary !== undefined)
    return `The guided installer runs on ${primary}; i starts it on this console too.`;
  if (!process.stdin.isTTY || !process.stdout.isTTY)
    return 'The guided installer needs a terminal, and this console is not one: s for a shell.';
  const marker = join(root, 'run/virtualinux/guided.started');
  if (existsSync(marker)) return 'i starts the guided installer again.';
  mkdirSync(dirname(marker), { recursive: true });
  writeFileSync(marker, '');
  return `Back from the guided installer (exit status ${await machine.guided()}).`;
}

/** what `virtualinux` can do on the live system: the install engine, recovery, and checking a spec */
const liveCommands = [
  ...installCommands,
  ...recoveryCommands,
  ...specCommands.filter((c) => c.words.join(' ') === 'spec check'),
];

async function main(argv: string[]): Promise<number> {
  reportCrashes(argv);
  // `virtualinux install ...` (overlays/live/usr/local/bin/virtualinux): a command, not the menu
  // (the menu's own terminal handles a console that goes away)
  if (argv[0] !== undefined && !argv[0].startsWith('-')) {
    quietOnClosedPipe();
    return runCommandLine(liveCommands, argv);
  }
  try {
    return await run(argv);
  } catch (error) {
    if (error instanceof UserError) {
      process.stderr.write(`${name}: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ''}`);
      return error.exitCode;
    }
    const detail = process.env.VIRTUALINUX_DEBUG ? `\n${(error as Error).stack}` : '';
    process.stderr.write(`${name}: internal error: ${(error as Error).message}${detail}\n`);
    return INTERNAL_ERROR_EXIT;
  }
}

process.exitCode = await main(process.argv.slice(2));
