/**
 * What the boot menu asked the installer to do, read from the kernel command line. The DVD's menu
 * entries differ only by `vl.mode=install|unattended|recovery|rescue` (and `vl.spec=URL` for an
 * unattended install from the network), so this is the whole contract between menu and installer.
 */

export const bootModes = ['install', 'unattended', 'recovery', 'rescue'] as const;
export type BootMode = (typeof bootModes)[number];

export interface BootRequest {
  /** the mode `vl.mode` asked for; absent when the command line names none */
  mode?: BootMode;
  /** a `vl.mode` value this installer does not know, kept to tell the administrator */
  unknownMode?: string;
  /** `vl.spec=URL`: where an unattended install fetches its cluster spec */
  specUrl?: string;
  /** `vl.wipe=NAME`: an unattended install may erase what the LUN holds (NAME: the spec's cluster) */
  wipe?: string;
}

/**
 * Splits a kernel command line the way the kernel does (lib/cmdline.c `next_arg`): words are
 * separated by blanks outside double quotes, and the quotes themselves are dropped, so
 * `vl.spec="http://x/a b.yaml"` is one parameter. Words after a lone `--` belong to init and are
 * not kernel parameters. A repeated parameter keeps its last value, as systemd reads them.
 */
export function kernelParameters(cmdline: string): Map<string, string | true> {
  const parameters = new Map<string, string | true>();
  const words = cmdline.match(/(?:[^\s"]+|"[^"]*"?)+/g) ?? [];
  for (const word of words) {
    if (word === '--') break;
    const text = word.replaceAll('"', '');
    const equals = text.indexOf('=');
    if (equals === -1) parameters.set(text, true);
    else parameters.set(text.slice(0, equals), text.slice(equals + 1));
  }
  return parameters;
}

const isBootMode = (value: string): value is BootMode => (bootModes as readonly string[]).includes(value);

export function parseBootRequest(cmdline: string): BootRequest {
  const parameters = kernelParameters(cmdline);
  const request: BootRequest = {};
  const mode = parameters.get('vl.mode');
  if (typeof mode === 'string' && isBootMode(mode)) request.mode = mode;
  else if (mode !== undefined) request.unknownMode = mode === true ? '' : mode;
  const specUrl = parameters.get('vl.spec');
  if (typeof specUrl === 'string' && specUrl !== '') request.specUrl = specUrl;
  const wipe = parameters.get('vl.wipe');
  if (typeof wipe === 'string' && wipe !== '') request.wipe = wipe;
  return request;
}

/**
 * The console the kernel made /dev/console: the last `console=` wins (`ttyS0,115200n8` is ttyS0;
 * `tty0`, the current virtual terminal, is tty1 at boot); none given: tty1.
 */
export function primaryConsole(cmdline: string): string {
  const value = kernelParameters(cmdline).get('console');
  const name = typeof value === 'string' ? (value.split(',')[0] ?? '') : '';
  return name === '' || name === 'tty0' ? 'tty1' : name;
}

/** Where an unattended install looks for its cluster spec (the DVD issue names the three). */
export interface SpecSource {
  kind: 'drive' | 'fw_cfg' | 'url';
  /** how the administrator names it */
  label: string;
  /** the path whose presence says the source is there; the URL source has none */
  path?: string;
}

export const specSources: readonly SpecSource[] = [
  { kind: 'drive', label: 'a drive labelled VLSPEC', path: '/dev/disk/by-label/VLSPEC' },
  {
    kind: 'fw_cfg',
    label: 'QEMU fw_cfg opt/org.virtualinux/cluster.yaml',
    path: '/sys/firmware/qemu_fw_cfg/by_name/opt/org.virtualinux/cluster.yaml/raw',
  },
  { kind: 'url', label: 'vl.spec=URL on the kernel command line' },
];

/** A spec source as seen on this machine: found or not, or the URL given. */
export interface SpecSourceSeen {
  source: SpecSource;
  /** `found`/`not found` for paths; the URL itself, or `not given`, for the URL source */
  status: string;
}
