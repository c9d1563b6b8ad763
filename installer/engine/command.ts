/**
 * `virtualinux install --spec FILE`: the install engine from the command line, in the DVD's live
 * system (the Unattended entry runs the same function, installer/unattended.ts). Plain lines on a
 * pipe or serial console, a status line on a terminal. `--tui` opens the guided installer on the
 * same engine instead (installer/tui/guided.tsx).
 */
import { createInterface } from 'node:readline/promises';
import { type Command, type CommandInput, stringOption } from '../../core/cli/command.ts';
import { UsageError, UserError } from '../../core/errors.ts';
import { EventBus } from '../../core/exec/events.ts';
import type { LineOutput } from '../../core/exec/line-log.ts';
import { createRunner } from '../../core/exec/runner.ts';
import { Secrets } from '../../core/exec/secrets.ts';
import { loadSpec } from '../../core/spec/load.ts';
import type { Spec } from '../../core/spec/schema.ts';
import { readSecret } from '../../core/spec/secret.ts';
import { imageLogger } from '../../images/progress.ts';
import {
  DEFAULT_MEDIUM,
  formatPhases,
  type InstallEvent,
  type InstallResult,
  runInstall,
} from './install.ts';
import type { ChapSecrets } from './san.ts';

/** the CHAP secrets the spec points to, each registered for redaction before anything runs */
export function chapSecrets(
  spec: Spec,
  secrets: Secrets,
  env?: NodeJS.ProcessEnv,
  root = '/',
): ChapSecrets | undefined {
  const chap = spec.san.chap;
  if (!chap) return undefined;
  const secret = readSecret({ ref: chap.secret, field: 'san.chap.secret' }, env, root);
  secrets.add(secret);
  if (!chap.mutual) return { secret };
  const targetSecret = readSecret({ ref: chap.mutual.secret, field: 'san.chap.mutual.secret' }, env, root);
  secrets.add(targetSecret);
  return { secret, targetSecret };
}

export interface InstallInvocation {
  spec: Spec;
  dryRun: boolean;
  yes: boolean;
  wipe?: string;
  reinstall?: boolean;
  medium?: string;
  sifAddress?: string;
  verbose?: boolean;
  out: LineOutput & { isTTY?: boolean };
  /** stands in for / (tests): where secret files are read */
  root?: string;
  /** a terminal to ask on, when there is one */
  terminal?: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream };
  env?: NodeJS.ProcessEnv;
}

/** sets up secrets, runners and output, then runs the install; the CLI and the unattended entry share it */
export async function install(invocation: InstallInvocation): Promise<InstallResult> {
  const { spec, out } = invocation;
  const secrets = new Secrets();
  const chap = chapSecrets(spec, secrets, invocation.env, invocation.root);
  const events = new EventBus<InstallEvent>();
  const tty = Boolean(out.isTTY) && !process.env.CI;
  events.on(imageLogger(out, { tty, verbose: invocation.verbose === true }));
  const runner = createRunner({ secrets, events });
  const dryRunner = createRunner({ secrets, events, dryRun: true });
  const terminal = invocation.terminal;
  const say = (line: string) => out.write(`${secrets.redact(line)}\n`);
  const result = await runInstall({
    spec,
    runner,
    dryRunner,
    dryRun: invocation.dryRun,
    yes: invocation.yes,
    events,
    say,
    ...(invocation.wipe !== undefined && { wipe: invocation.wipe }),
    ...(invocation.reinstall && { reinstall: true }),
    ...(chap && { chap }),
    ...(invocation.medium !== undefined && { medium: invocation.medium }),
    ...(invocation.sifAddress !== undefined && { sifAddress: invocation.sifAddress }),
    ...(invocation.env && { env: invocation.env }),
    ...(terminal && {
      ask: async (question: string) => {
        const readline = createInterface({ input: terminal.input, output: terminal.output });
        try {
          return await readline.question(question);
        } finally {
          readline.close();
        }
      },
    }),
  });
  if (result.dryRun) say('dry run: nothing was written');
  else if (result.ran.length === 0)
    say(`cluster ${spec.cluster.name} is installed on ${result.lun}: nothing to do`);
  else say(`cluster ${spec.cluster.name} installed on ${result.lun}: ${result.ran.length} actions`);
  say(`install phases: ${formatPhases(result.phases)}`);
  return result;
}

/** what the guided installer asks on its screens: on its command line these would say it twice */
const ASKED_ON_SCREEN = ['yes', 'wipe', 'reinstall', 'sif-address', 'verbose'];

const GUIDED_USAGE =
  'usage: virtualinux install --tui [--spec FILE] [--blades FILE] [--enlist] [--dry-run] [--medium DIR]';

/** --tui: the screens need a terminal to draw on and to read keys from */
async function guided(input: CommandInput): Promise<number> {
  if (input.positionals.length > 0) throw new UsageError(`unexpected argument: ${input.positionals[0]}`);
  const twice = ASKED_ON_SCREEN.find((option) => input.values[option] !== undefined);
  if (twice) {
    throw new UsageError(
      `--${twice} does not go with --tui: the guided installer asks on its screens`,
      GUIDED_USAGE,
    );
  }
  const stdin = process.stdin as NodeJS.ReadStream;
  const stdout = input.io.out as NodeJS.WriteStream;
  if (!stdin.isTTY || !stdout.isTTY) {
    throw new UserError(
      'the guided installer (--tui) needs a terminal, and stdin or stdout is not one',
      'without a terminal, install from a cluster spec: virtualinux install --spec FILE',
    );
  }
  // Ink draws only its last frame when CI is set (is-in-ci, read as Ink loads): this is a terminal
  // someone types at, under CI too (the tests' tmux), so the screens are drawn as they change
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  // loaded here only: Ink and React are not needed by any other command
  const { runGuided } = await import('../tui/guided.tsx');
  const specFile = stringOption(input.values, 'spec');
  const bladesFile = stringOption(input.values, 'blades');
  return runGuided({
    ...(specFile !== undefined && { specFile }),
    ...(bladesFile !== undefined && { bladesFile }),
    enlist: input.values.enlist === true,
    dryRun: input.values['dry-run'] === true,
    medium: stringOption(input.values, 'medium') ?? DEFAULT_MEDIUM,
    stdin,
    stdout,
    out: input.io.out,
  });
}

const installCommand: Command = {
  words: ['install'],
  args: '--spec FILE | --tui',
  summary: "install a cluster onto its SAN LUN (run it on the DVD's live system)",
  options: {
    spec: { type: 'string' },
    tui: { type: 'boolean' },
    blades: { type: 'string' },
    enlist: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
    wipe: { type: 'string' },
    reinstall: { type: 'boolean' },
    medium: { type: 'string' },
    'sif-address': { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
  },
  optionHelp: [
    '--spec FILE         the cluster spec (cluster.yaml); with --tui, where the screens start from',
    '--tui               the guided installer: screens that build the spec and show the plan',
    '--blades FILE       with --tui: blades to import on the Cluster screen (CSV name,MAC or YAML)',
    '--enlist            with --tui: offer the MACs of blades that ask DHCP (PXE) on the network',
    '--dry-run           show the plan and every command; write nothing',
    '--yes               do not ask before writing',
    "--wipe NAME         erase what the LUN holds first; NAME is the spec's cluster name",
    "--reinstall         write this cluster's images, blade layers and boot files again",
    '--medium DIR        where the DVD is mounted (default /run/live/medium)',
    '--sif-address CIDR  a static address for fabric.sif instead of DHCP',
    '--verbose           show every line the tools print',
  ],
  async run(input: CommandInput) {
    if (input.values.tui === true) return guided(input);
    const screensOnly = ['blades', 'enlist'].find((option) => input.values[option] !== undefined);
    if (screensOnly)
      throw new UsageError(`--${screensOnly} goes with --tui: it feeds the Cluster screen`, GUIDED_USAGE);
    const file = stringOption(input.values, 'spec');
    if (file === undefined)
      throw new UsageError(
        '--spec FILE is needed',
        'usage: virtualinux install --spec FILE [--dry-run] [--yes] [--wipe NAME]',
      );
    if (input.positionals.length > 0) throw new UsageError(`unexpected argument: ${input.positionals[0]}`);
    const spec = loadSpec(file);
    const stdin = process.stdin as NodeJS.ReadStream;
    const wipe = stringOption(input.values, 'wipe');
    const medium = stringOption(input.values, 'medium');
    const sifAddress = stringOption(input.values, 'sif-address');
    await install({
      spec,
      dryRun: input.values['dry-run'] === true,
      yes: input.values.yes === true,
      reinstall: input.values.reinstall === true,
      verbose: input.values.verbose === true,
      out: input.io.out,
      ...(wipe !== undefined && { wipe }),
      ...(medium !== undefined && { medium }),
      ...(sifAddress !== undefined && { sifAddress }),
      ...(stdin.isTTY && { terminal: { input: stdin, output: input.io.out } }),
    });
    return 0;
  },
};

export const installCommands: Command[] = [installCommand];
