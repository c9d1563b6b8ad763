/**
 * `virtualinux reset` and `virtualinux drift`: the recovery facility from the command line, on the
 * DVD's live system (its Recovery entry) or any machine that reaches the SAN as the installer does.
 */
import { createInterface } from 'node:readline/promises';
import { type Command, type CommandInput, stringOption } from '../../core/cli/command.ts';
import { UsageError, UserError } from '../../core/errors.ts';
import { EventBus, type ExecEvent } from '../../core/exec/events.ts';
import { createRunner } from '../../core/exec/runner.ts';
import { Secrets } from '../../core/exec/secrets.ts';
import type { PlanEvent } from '../../core/plan/events.ts';
import { planLineLogger } from '../../core/plan/line-log.ts';
import { loadSpec } from '../../core/spec/load.ts';
import { chapSecrets } from '../engine/command.ts';
import { keepQuestion, PICK_QUESTION, parsePick, parseYes, pickLines } from './pick.ts';
import { drift, formatDrift, formatVerdicts, reset, verify } from './recovery.ts';

const specOption = { spec: { type: 'string' as const }, 'sif-address': { type: 'string' as const } };
const specHelp = [
  '--spec FILE         the cluster spec (cluster.yaml); default $VIRTUALINUX_SPEC, which a blade sets',
  "                    to the cluster's spec on VLBOOT",
  '--sif-address CIDR  a static address for fabric.sif instead of DHCP',
];

/** the spec, its CHAP secrets registered for redaction, and a runner that redacts them */
function setUp(input: CommandInput, usage: string) {
  const file = stringOption(input.values, 'spec') ?? (process.env.VIRTUALINUX_SPEC || undefined);
  if (file === undefined) throw new UsageError('--spec FILE is needed', `usage: ${usage}`);
  const spec = loadSpec(file);
  const secrets = new Secrets();
  const chap = chapSecrets(spec, secrets);
  const events = new EventBus<ExecEvent | PlanEvent>();
  events.on(planLineLogger(input.io.out));
  const sifAddress = stringOption(input.values, 'sif-address');
  return {
    spec,
    secrets,
    events,
    runner: createRunner({ secrets }),
    dryRunner: createRunner({ secrets, events, dryRun: true }),
    say: (line: string) => input.io.out.write(`${secrets.redact(line)}\n`),
    ...(chap && { chap }),
    ...(sifAddress !== undefined && { sifAddress }),
  };
}

const resetUsage =
  'virtualinux reset --spec FILE NODE... | --all | --pick [--keep-data] [--dry-run] [--yes] [--force]';

/**
 * A question on the terminal, answered with a line; undefined without a terminal. Every question
 * comes before anything is changed: Ctrl-C or the end of the input leaves, saying so.
 */
function terminalAsk(input: CommandInput): ((question: string) => Promise<string>) | undefined {
  const stdin = process.stdin as NodeJS.ReadStream;
  if (!stdin.isTTY) return undefined;
  return async (question: string) => {
    const readline = createInterface({ input: stdin, output: input.io.out });
    const stop = new AbortController();
    readline.once('SIGINT', () => stop.abort());
    readline.once('close', () => stop.abort());
    try {
      return await readline.question(question, { signal: stop.signal });
    } catch (error) {
      if (stop.signal.aborted) {
        input.io.out.write('\n');
        throw new UserError('left at the question: nothing was changed');
      }
      throw error;
    } finally {
      readline.close();
    }
  };
}

const resetCommand: Command = {
  words: ['reset'],
  args: 'NODE...',
  summary: 'reset blades to factory state: a new empty layer over the golden image (constant time)',
  options: {
    ...specOption,
    all: { type: 'boolean' },
    'keep-data': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
    force: { type: 'boolean' },
    pick: { type: 'boolean' },
  },
  optionHelp: [
    ...specHelp,
    '--all               every blade of the cluster',
    "--pick              list the blades and ask which (the DVD's Recovery entry); needs a terminal",
    "--keep-data         carry the spec's storage.persistent paths into the new layer",
    '--dry-run           show what would be discarded and every command; change nothing',
    '--yes               do not ask',
    '--force             reset a blade whose layer shows in use (only for a blade known dead)',
  ],
  async run(input) {
    let all = input.values.all === true;
    const pick = input.values.pick === true;
    let names = input.positionals;
    if ([all, pick, names.length > 0].filter(Boolean).length > 1)
      throw new UsageError('name the blades, or --all, or --pick: one of them', `usage: ${resetUsage}`);
    if (!all && !pick && names.length === 0)
      throw new UsageError('name the blades to reset, or --all, or --pick', `usage: ${resetUsage}`);
    const ask = terminalAsk(input);
    if (pick && !ask)
      throw new UsageError(
        '--pick asks on a terminal, and there is none: name the blades',
        `usage: ${resetUsage}`,
      );
    const context = setUp(input, resetUsage);
    let keepData = input.values['keep-data'] === true;
    if (pick && ask) {
      for (const line of pickLines(context.spec)) context.say(line);
      for (;;) {
        const picked = parsePick(await ask(PICK_QUESTION), context.spec);
        if (picked.kind === 'leave') {
          context.say('nothing was reset');
          return 0;
        }
        if (picked.kind === 'again') {
          context.say(picked.problem);
          continue;
        }
        ({ names, all } = picked);
        break;
      }
      const keep = keepData ? undefined : keepQuestion(context.spec);
      if (keep !== undefined) keepData = parseYes(await ask(keep));
    }
    const result = await reset({
      ...context,
      events: context.events,
      names,
      all,
      keepData,
      force: input.values.force === true,
      dryRun: input.values['dry-run'] === true,
      yes: input.values.yes === true,
      ...(ask && { ask }),
    });
    const done = result.plan.blades.map((b) => b.name).join(', ');
    context.say(
      result.dryRun
        ? 'dry run: nothing was changed'
        : result.ran.length === 0
          ? `${done}: nothing to do`
          : `${done} reset to factory state on ${result.lun}: they boot from their new layer`,
    );
    return 0;
  },
};

const driftUsage = 'virtualinux drift --spec FILE NODE [--json]';

const driftCommand: Command = {
  words: ['drift'],
  args: 'NODE',
  summary: 'what a blade changed relative to factory: the files its layer adds, changes and deletes',
  options: { ...specOption, json: { type: 'boolean' } },
  optionHelp: [...specHelp, '--json              every entry as JSON'],
  async run(input) {
    const [node, ...rest] = input.positionals;
    if (node === undefined || rest.length > 0) throw new UsageError('name one blade', `usage: ${driftUsage}`);
    const context = setUp(input, driftUsage);
    const json = input.values.json === true;
    // the SAN's chatter on stderr when stdout is JSON
    const entries = await drift({
      ...context,
      ...(json && { say: (line: string) => process.stderr.write(`${line}\n`) }),
      node,
    });
    if (json) input.io.out.write(`${JSON.stringify(entries, null, 2)}\n`);
    else
      for (const line of formatDrift(node, entries, Number.POSITIVE_INFINITY))
        input.io.out.write(`${line}\n`);
    return 0;
  },
};

const verifyCommand: Command = {
  words: ['verify'],
  args: '[IMAGE...]',
  summary:
    "the cluster's golden volumes against the DVD's images: every file compared (exit 1 if any differs)",
  options: { ...specOption, medium: { type: 'string' } },
  optionHelp: [...specHelp, '--medium DIR        where the DVD is mounted (default /run/live/medium)'],
  async run(input) {
    const context = setUp(input, 'virtualinux verify --spec FILE [--medium DIR] [IMAGE...]');
    const medium = stringOption(input.values, 'medium');
    const verdicts = await verify({
      ...context,
      ...(medium !== undefined && { medium }),
      ...(input.positionals.length > 0 && { only: input.positionals }),
    });
    for (const line of formatVerdicts(verdicts)) context.say(line);
    return verdicts.every((v) => v.status === 'intact') ? 0 : 1;
  },
};

export const recoveryCommands: Command[] = [resetCommand, driftCommand, verifyCommand];
