/**
 * The installer's screen as one string: plain ASCII lines under 80 columns, so that it reads the
 * same on a VGA console, a serial line and in a test's captured output.
 */
import { type BootRequest, bootModes, type SpecSourceSeen } from './boot-request.ts';
import { labelOf, type MenuState, menuEntries } from './menu.ts';

export interface ScreenModel {
  version: string;
  boot: BootRequest;
  /** the spec sources as observed, shown when the boot asked for an unattended install */
  specSources?: readonly SpecSourceSeen[];
  menu: MenuState;
  /** `keys`: one key press selects (raw TTY); `lines`: a key then Enter (pipe, dumb serial) */
  input: 'keys' | 'lines';
}

export const productName = 'VirtuaLinux installer';

function bootLines(boot: BootRequest, sources: readonly SpecSourceSeen[] = []): string[] {
  if (boot.unknownMode !== undefined) {
    return [
      `Boot mode: vl.mode=${boot.unknownMode} is not one this installer knows`,
      `  (${bootModes.join(', ')}); choose below.`,
    ];
  }
  switch (boot.mode) {
    case undefined:
      return ['Boot mode: none asked for (no vl.mode on the kernel command line).'];
    case 'install':
      return ['Boot mode: install (vl.mode=install)'];
    case 'recovery':
      return ['Boot mode: recovery, factory reset (vl.mode=recovery)'];
    case 'rescue':
      return ['Boot mode: rescue (vl.mode=rescue); press s for a root shell.'];
    case 'unattended': {
      const width = Math.max(...sources.map((seen) => seen.source.label.length));
      return [
        'Boot mode: unattended install (vl.mode=unattended)',
        '  The cluster spec is looked for on:',
        ...sources.map((seen) => `    ${seen.source.label.padEnd(width)}  ${seen.status}`),
      ];
    }
  }
}

export function renderScreen(model: ScreenModel): string {
  const title = `${productName} ${model.version}`;
  const marked = model.menu.confirming ?? model.menu.highlight;
  const entries = menuEntries.map(
    (entry) => `${entry.action === marked ? '>' : ' '} ${entry.key}  ${entry.label}`,
  );
  const prompt = model.input === 'keys' ? 'Press a key: ' : 'Type a key and Enter: ';
  return [
    title,
    '='.repeat(title.length),
    '',
    ...bootLines(model.boot, model.specSources),
    '',
    ...entries,
    '',
    ...(model.menu.notice ? [model.menu.notice] : []),
    prompt,
  ].join('\n');
}

/** The line printed before the root shell takes over the console. */
export const shellBanner = 'Root shell: type exit (or Ctrl-D) to come back to the installer.';

export const powerBanner = (action: 'poweroff' | 'reboot') => `${labelOf(action)}...`;
