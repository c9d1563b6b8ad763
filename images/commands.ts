/** `virtualinux image …`: check recipes, build images into the cache, list them. */
import { type Command, type CommandInput, stringOption } from '../core/cli/command.ts';
import { UsageError } from '../core/errors.ts';
import { EventBus } from '../core/exec/events.ts';
import { createRunner } from '../core/exec/runner.ts';
import { formatBytes } from '../core/exec/units.ts';
import { formatProblem } from '../core/yaml/problems.ts';
import { buildImage, type ImageEvent, type ImageOptions, imageStatus, sourceDateEpochFrom } from './build.ts';
import { checkRecipeFile, recipeNames } from './load.ts';
import { cacheRoot, defaultOverlaysDir, defaultRecipesDir } from './paths.ts';
import { imageLogger } from './progress.ts';

const dirOptions = {
  recipes: { type: 'string' },
  overlays: { type: 'string' },
} as const;
const dirHelp = [
  '--recipes DIR   image recipes (default: the packaged images/recipes)',
  '--overlays DIR  overlay trees (default: the packaged overlays)',
];

function imageOptions(values: CommandInput['values']): ImageOptions {
  const mirror = stringOption(values, 'mirror');
  if (mirror !== undefined && !/^(https?|file):\/\/\S+$/.test(mirror)) {
    throw new UsageError(`--mirror ${mirror} is not a URL`, 'give an http://, https:// or file:// URL');
  }
  const sourceDateEpoch = sourceDateEpochFrom();
  return {
    recipesDir: stringOption(values, 'recipes') ?? defaultRecipesDir,
    overlaysDir: stringOption(values, 'overlays') ?? defaultOverlaysDir,
    cacheDir: cacheRoot(),
    ...(mirror !== undefined && { mirror }),
    ...(sourceDateEpoch !== undefined && { sourceDateEpoch }),
  };
}

const check: Command = {
  words: ['image', 'check'],
  args: 'FILE...',
  summary: 'validate image recipes; every problem as FILE:LINE:COL: field: what is wrong',
  run({ positionals, io }) {
    if (positionals.length === 0)
      throw new UsageError('image check needs a file', 'usage: virtualinux image check FILE...');
    let failed = false;
    for (const file of positionals) {
      const result = checkRecipeFile(file);
      if (result.ok) {
        const { recipe } = result;
        io.out.write(
          `${file}: ok: image ${recipe.name}, ${recipe.distribution} ${recipe.release} by ${recipe.builder}\n`,
        );
      } else {
        failed = true;
        for (const problem of result.problems) io.err.write(`${formatProblem(file, problem)}\n`);
        const count = result.problems.length;
        io.err.write(`${file}: ${count} ${count === 1 ? 'problem' : 'problems'}\n`);
      }
    }
    return failed ? 1 : 0;
  },
};

const build: Command = {
  words: ['image', 'build'],
  args: 'NAME...',
  summary: 'build images into the cache (~/.cache/virtualinux); unchanged inputs are not rebuilt',
  options: {
    ...dirOptions,
    force: { type: 'boolean' },
    mirror: { type: 'string' },
    'dry-run': { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
  },
  optionHelp: [
    '--force         rebuild even when the cache holds the image',
    '--mirror URL    use this archive instead of the recipe’s',
    '--dry-run       show every step and command, run nothing',
    '--verbose       show every line the tools print',
    ...dirHelp,
  ],
  async run({ positionals, values, io }) {
    if (positionals.length === 0) {
      throw new UsageError(
        'image build needs an image name',
        'usage: virtualinux image build NAME...; virtualinux image list shows them',
      );
    }
    const options = imageOptions(values);
    const dryRun = values['dry-run'] === true;
    const tty = Boolean((io.err as NodeJS.WriteStream).isTTY) && !process.env.CI;
    const events = new EventBus<ImageEvent>();
    events.on(imageLogger(io.err, { tty, verbose: values.verbose === true }));
    const runner = createRunner({ dryRun, events });
    for (const name of positionals) {
      const { status, built } = await buildImage(name, {
        ...options,
        runner,
        events,
        force: values.force === true,
      });
      if (dryRun) continue;
      const manifest = status.manifest;
      const what = built ? 'built' : 'cached';
      io.out.write(
        `${name}: ${what}: ${status.archive}${manifest ? ` (${formatBytes(manifest.archive.bytes)}, sha256 ${manifest.archive.sha256})` : ''}\n`,
      );
    }
    return 0;
  },
};

const list: Command = {
  words: ['image', 'list'],
  args: '',
  summary: 'list the images: distribution, cached or not, size, sha256',
  options: { ...dirOptions, json: { type: 'boolean' }, mirror: { type: 'string' } },
  optionHelp: ['--json         an array of objects, for scripts', ...dirHelp],
  run({ values, io }) {
    const options = imageOptions(values);
    const rows = recipeNames(options.recipesDir).map((name) => {
      const status = imageStatus(name, options);
      const m = status.manifest;
      return {
        name,
        distribution: status.recipe.distribution,
        release: status.recipe.release,
        builder: status.recipe.builder,
        cached: status.cached,
        size: m?.archive.bytes ?? null,
        unpackedSize: m?.unpackedBytes ?? null,
        sha256: m?.archive.sha256 ?? null,
        archive: m ? status.archive : null,
      };
    });
    if (values.json === true) {
      io.out.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    const table = [
      ['NAME', 'DISTRIBUTION', 'BUILDER', 'CACHED', 'SIZE', 'UNPACKED', 'SHA256'],
      ...rows.map((r) => [
        r.name,
        `${r.distribution} ${r.release}`,
        r.builder,
        r.cached ? 'yes' : 'no',
        r.size === null ? '-' : formatBytes(r.size),
        r.unpackedSize === null ? '-' : formatBytes(r.unpackedSize),
        r.sha256 === null ? '-' : r.sha256.slice(0, 16),
      ]),
    ];
    const widths =
      table[0]?.map((_, column) => Math.max(...table.map((row) => (row[column] ?? '').length))) ?? [];
    for (const row of table)
      io.out.write(
        `${row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd()}\n`,
      );
    return 0;
  },
};

export const imageCommands = [check, build, list];
