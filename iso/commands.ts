/** `virtualinux dvd build`: the DVD from the embedded default profile (what `npm run dvd` runs). */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Command, stringOption } from '../core/cli/command.ts';
import { EventBus } from '../core/exec/events.ts';
import { createRunner } from '../core/exec/runner.ts';
import { formatBytes, formatDuration } from '../core/exec/units.ts';
import { version } from '../core/version.ts';
import { sourceDateEpochFrom } from '../images/build.ts';
import { cacheRoot, defaultOverlaysDir, defaultRecipesDir } from '../images/paths.ts';
import { buildDvd } from './dvd.ts';
import { type DvdEvent, dvdLogger } from './events.ts';
import { defaultProfileFile, loadProfile } from './profile.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const build: Command = {
  words: ['dvd', 'build'],
  args: '',
  summary: 'build the DVD (hybrid BIOS+UEFI ISO) into out/; unchanged stages are not rebuilt',
  options: {
    out: { type: 'string' },
    profile: { type: 'string' },
    'dry-run': { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
  },
  optionHelp: [
    '--out DIR       where the ISO goes (default: out/ in the checkout)',
    '--profile FILE  which images the DVD carries (default: iso/profile.yaml)',
    '--dry-run       show every stage and command, build nothing',
    '--verbose       show every line the tools print',
  ],
  async run({ values, io }) {
    const profile = loadProfile(stringOption(values, 'profile') ?? defaultProfileFile);
    const sourceDateEpoch = sourceDateEpochFrom();
    const tty = Boolean((io.err as NodeJS.WriteStream).isTTY) && !process.env.CI;
    const events = new EventBus<DvdEvent>();
    events.on(dvdLogger(io.err, { tty, verbose: values.verbose === true }));
    const runner = createRunner({ dryRun: values['dry-run'] === true, events });
    const started = performance.now();
    const result = await buildDvd({
      profile,
      images: { recipesDir: defaultRecipesDir, overlaysDir: defaultOverlaysDir, cacheDir: cacheRoot() },
      outDir: stringOption(values, 'out') ?? join(repoRoot, 'out'),
      version: version(),
      runner,
      events,
      ...(sourceDateEpoch !== undefined && { sourceDateEpoch }),
    });
    if (!result) return 0;
    const took = formatDuration(performance.now() - started);
    io.out.write(
      `${result.iso} (${formatBytes(result.bytes)}, sha256 ${result.sha256}; ${result.written ? 'written' : 'unchanged'} in ${took})\n`,
    );
    return 0;
  },
};

export const dvdCommands = [build];
