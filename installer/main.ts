/**
 * The program the DVD's live system starts on every console (tty1, ttyS0; see
 * overlays/live/etc/systemd/system/virtualinux-installer@.service) until the Ink TUI lands:
 * a plain text menu that works on a serial line, with a root shell one key away.
 *
 * Bundled into one file by installer/bundle.ts, which fixes the version at bundle time; run
 * unbundled (`npx tsx installer/main.ts`) it reads the version from package.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCommandLine } from '../core/cli/dispatch.ts';
import { UsageError, UserError } from '../core/errors.ts';
import { createRunner } from '../core/exec/runner.ts';
import { specCommands } from '../core/spec/commands.ts';
import { version } from '../core/version.ts';
import { parseBootRequest, primaryConsole } from './boot-request.ts';
import { installCommands } from './engine/command.ts';
import { liveMachine, observeSpecSources } from './machine.ts';
import { recoveryCommands } from './recovery/command.ts';
import { runSession } from './session.ts';
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
  let notice: string | undefined;
  if (boot.mode === 'unattended') {
    const primary = primaryConsole(cmdline);
    if (values.tty === undefined || values.tty === primary) {
      notice = await unattendedOnce({ version: version(), boot, sources: specSources, root, runner });
    } else {
      notice = `The unattended install runs on ${primary}; its verdict is shown there.`;
    }
  }
  const terminal = terminalConsole(process.stdin, process.stdout);
  try {
    return await runSession({
      version: version(),
      boot,
      specSources,
      console: terminal,
      machine: liveMachine(runner),
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
  const file = join(options.root, 'run/virtualinux/unattended.result');
  if (!existsSync(file)) {
    const result = await runUnattended({ ...options, write: (text) => process.stdout.write(text) });
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${result.status}\n`);
  }
  const status = readFileSync(file, 'utf8').trim();
  return `Unattended install: ${status} (its messages are above; s for a shell).`;
}

/** what `virtualinux` can do on the live system: the install engine, recovery, and checking a spec */
const liveCommands = [
  ...installCommands,
  ...recoveryCommands,
  ...specCommands.filter((c) => c.words.join(' ') === 'spec check'),
];

async function main(argv: string[]): Promise<number> {
  // `virtualinux install ...` (overlays/live/usr/local/bin/virtualinux): a command, not the menu
  if (argv[0] !== undefined && !argv[0].startsWith('-')) return runCommandLine(liveCommands, argv);
  try {
    return await run(argv);
  } catch (error) {
    if (error instanceof UserError) {
      process.stderr.write(`${name}: ${error.message}\n${error.hint ? `  ${error.hint}\n` : ''}`);
      return error.exitCode;
    }
    const detail = process.env.VIRTUALINUX_DEBUG ? `\n${(error as Error).stack}` : '';
    process.stderr.write(`${name}: internal error: ${(error as Error).message}${detail}\n`);
    return 70;
  }
}

process.exitCode = await main(process.argv.slice(2));
