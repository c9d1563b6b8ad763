/** `virtualinux lab ...`: a whole cluster (SAN, DVD install, blades) in QEMU on this machine. */
import { resolve } from 'node:path';
import { type Command, type CommandInput, stringOption } from '../core/cli/command.ts';
import { UsageError } from '../core/errors.ts';
import { createRunner } from '../core/exec/runner.ts';
import { formatBytes } from '../core/exec/units.ts';
import { labBoot } from './blades.ts';
import { attachConsole, labExec } from './console.ts';
import { formatInspection, inspectLun, labLunFile } from './inspect.ts';
import { DEFAULT_INSTALL_MS, labGuided, labInstall } from './install.ts';
import { type LabContext, labDown, labStatus, labUp } from './lab.ts';
import { labRun, summaryTable } from './run.ts';
import { labDirectory } from './state.ts';

const dirOption = { dir: { type: 'string' } } as const;
const dirHelp = '--dir DIR       the lab directory (default: $VIRTUALINUX_LAB, else .lab here)';

export function labContext({ values, io }: CommandInput): LabContext {
  return {
    dir: labDirectory(stringOption(values, 'dir')),
    runner: createRunner(),
    say: (line) => io.err.write(`${line}\n`),
  };
}

const up: Command = {
  words: ['lab', 'up'],
  args: '',
  summary: 'start the lab SAN (tgtd on loopback, the LUN, CHAP, the ACL) for a cluster spec',
  options: { ...dirOption, spec: { type: 'string' } },
  optionHelp: [
    dirHelp,
    '--spec FILE     the cluster spec (default: the embedded example, `virtualinux spec example`)',
  ],
  async run(input) {
    await labUp(labContext(input), stringOption(input.values, 'spec'));
    return 0;
  },
};

const down: Command = {
  words: ['lab', 'down'],
  args: '',
  summary: 'stop everything the lab started (machines, SAN); keeps the LUN and the logs',
  options: { ...dirOption, purge: { type: 'boolean' } },
  optionHelp: ['--purge         also delete the lab directory: the LUN, its secrets, the logs'],
  async run(input) {
    const context = labContext(input);
    const report = await labDown(context, { purge: input.values.purge === true });
    if (report.stopped.length === 0 && report.gone.length === 0)
      context.say(`no lab in ${context.dir}: nothing to stop`);
    for (const what of report.stopped) context.say(`stopped ${what}`);
    for (const what of report.gone) context.say(`${what}: not running any more`);
    if (input.values.purge === true) context.say(`removed ${context.dir}`);
    return 0;
  },
};

const status: Command = {
  words: ['lab', 'status'],
  args: '',
  summary: 'what the lab runs: the SAN and its sessions, the machines and their pids',
  options: { ...dirOption, json: { type: 'boolean' } },
  optionHelp: ['--json          one JSON object instead of the table'],
  async run(input) {
    const result = await labStatus(labContext(input));
    if (input.values.json === true) {
      input.io.out.write(`${JSON.stringify(result)}\n`);
      return 0;
    }
    const lines = [`lab ${result.dir}: ${result.up ? 'up' : 'not up'}`];
    if (result.san) {
      const san = result.san;
      lines.push(
        `  SAN       tgtd pid ${san.pid} ${san.running ? 'running' : 'NOT RUNNING'} on ${san.portal}, ${san.target}`,
        `  LUN       ${san.lunFile}: ${formatBytes(san.lunBytes)} (${formatBytes(san.lunAllocated)} used on disk)`,
        `  sessions  ${san.sessions.length === 0 ? 'none' : san.sessions.map((s) => `${s.initiator}${s.address ? ` from ${s.address}` : ''}`).join(', ')}`,
      );
    }
    for (const machine of result.machines) {
      lines.push(
        `  ${machine.name.padEnd(9)} ${machine.role}, qemu pid ${machine.pid} ${machine.running ? 'running' : 'stopped'}; console log ${machine.log}`,
      );
    }
    input.io.out.write(`${lines.join('\n')}\n`);
    return 0;
  },
};

const installOptions = {
  iso: { type: 'string' },
  out: { type: 'string' },
  uefi: { type: 'boolean' },
  timeout: { type: 'string' },
} as const;
const installHelp = [
  '--iso FILE      the DVD (default: out/virtualinux-VERSION-amd64.iso, what `npm run dvd` builds)',
  '--out DIR       where `dvd build --out DIR` put the DVD (default: out/ in the checkout)',
  '--uefi          boot it with UEFI firmware (OVMF) instead of BIOS',
  '--timeout MIN   minutes the install may take, boot included (default 30)',
];

function installValues(values: CommandInput['values']) {
  const timeout = stringOption(values, 'timeout');
  const minutes = timeout === undefined ? undefined : Number(timeout);
  if (minutes !== undefined && !(minutes > 0)) {
    throw new UsageError(`--timeout ${timeout}: expected a number of minutes above 0`);
  }
  const iso = stringOption(values, 'iso');
  const outDir = stringOption(values, 'out');
  return {
    ...(iso !== undefined && { iso }),
    ...(outDir !== undefined && { outDir: resolve(outDir) }),
    firmware: values.uefi === true ? ('uefi' as const) : ('bios' as const),
    timeoutMs: minutes === undefined ? DEFAULT_INSTALL_MS : minutes * 60_000,
  };
}

const install: Command = {
  words: ['lab', 'install'],
  args: '',
  summary: "boot the DVD's Unattended install with the lab's spec and wait for the installer's verdict",
  options: { ...dirOption, ...installOptions, keep: { type: 'boolean' }, guided: { type: 'boolean' } },
  optionHelp: [
    ...installHelp,
    '--keep          leave the installer running (lab console installer)',
    "--guided        the Install entry instead: the guided installer's screens, left on its console",
  ],
  async run(input) {
    const context = labContext(input);
    if (input.values.guided === true) {
      await labGuided(context, installValues(input.values));
      input.io.out.write(
        'installer: the guided installer is on its console: virtualinux lab console installer\n',
      );
      return 0;
    }
    const outcome = await labInstall(context, {
      ...installValues(input.values),
      keep: input.values.keep === true,
    });
    input.io.out.write(`installer: ${outcome.status}: ${outcome.message}
`);
    return 0;
  },
};

const boot: Command = {
  words: ['lab', 'boot'],
  args: '[NODE...]',
  summary: 'start blades (all without names) the way firmware SAN-boots them: iPXE sanboot of the LUN',
  options: { ...dirOption },
  async run(input) {
    await labBoot(labContext(input), input.positionals);
    return 0;
  },
};

const consoleCommand: Command = {
  words: ['lab', 'console'],
  args: 'NODE',
  summary: "a lab machine's serial console on this terminal (Ctrl-] leaves it running)",
  options: { ...dirOption },
  async run(input) {
    const [name, ...extra] = input.positionals;
    if (name === undefined || extra.length > 0)
      throw new UsageError('one machine name expected', 'usage: virtualinux lab console NODE');
    await attachConsole(labContext(input).dir, name, process.stdin, input.io.out);
    return 0;
  },
};

const exec: Command = {
  words: ['lab', 'exec'],
  args: 'NODE -- COMMAND...',
  summary: "run a command in the root shell on a lab machine's console; its output, its exit status",
  options: { ...dirOption, timeout: { type: 'string' } },
  optionHelp: ['--timeout SEC   seconds the command may take (default 60)'],
  async run(input) {
    const [name, ...command] = input.positionals;
    if (name === undefined || command.length === 0) {
      throw new UsageError(
        'a machine and a command expected',
        'usage: virtualinux lab exec NODE -- COMMAND...',
      );
    }
    const seconds = Number(stringOption(input.values, 'timeout') ?? 60);
    if (!(seconds > 0)) throw new UsageError('--timeout: expected a number of seconds above 0');
    const result = await labExec(labContext(input).dir, name, command, seconds * 1000);
    input.io.out.write(result.output);
    return result.exitCode;
  },
};

const inspect: Command = {
  words: ['lab', 'inspect'],
  args: '',
  summary:
    "what the install wrote on the LUN, read on this machine: partitions, VLBOOT's files, LVM (needs root)",
  options: {
    ...dirOption,
    lun: { type: 'string' },
    json: { type: 'boolean' },
    checksum: { type: 'string', multiple: true },
  },
  optionHelp: [
    "--lun FILE      a LUN file to read instead of the lab's (DIR/san/lunN.img)",
    '--json          the inspection as JSON: two installs of one spec give the same',
    "--checksum LV   the sha256 of that logical volume's contents too (repeatable): was it written?",
  ],
  async run(input) {
    const context = labContext(input);
    const file = resolve(stringOption(input.values, 'lun') ?? labLunFile(context.dir));
    const checksums = input.values.checksum;
    const inspection = await inspectLun(file, context.runner, {
      checksums: Array.isArray(checksums) ? checksums.filter((name) => typeof name === 'string') : [],
    });
    input.io.out.write(
      input.values.json === true
        ? `${JSON.stringify(inspection, null, 2)}\n`
        : formatInspection(inspection, file),
    );
    return 0;
  },
};

const run: Command = {
  words: ['lab', 'run'],
  args: '',
  summary: 'all of it: SAN up, DVD install, every blade booted, a summary; then down (unless --keep)',
  options: { ...dirOption, ...installOptions, spec: { type: 'string' }, keep: { type: 'boolean' } },
  optionHelp: ['--keep          leave the lab up afterwards'],
  async run(input) {
    const context = labContext(input);
    const spec = stringOption(input.values, 'spec');
    const result = await labRun(context, {
      ...installValues(input.values),
      ...(spec !== undefined && { specFile: spec }),
      keep: input.values.keep === true,
    });
    input.io.out.write(`${summaryTable(result.steps)}
${JSON.stringify({ ok: result.ok, steps: result.steps })}
`);
    return result.ok ? 0 : 1;
  },
};

export const labCommands = [up, install, boot, consoleCommand, exec, status, inspect, down, run];
