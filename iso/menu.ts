/**
 * The DVD's boot menu: one model, rendered for ISOLINUX (BIOS) and for GRUB (UEFI), so that both
 * firmware paths offer the same entries, the same hotkeys, the same default and the same timeout.
 * Pure: text in, text out; bootloaders.ts writes the files.
 *
 * Hotkeys (lower case, one keystroke on the keyboard or the serial line boots the entry in both
 * loaders; ISOLINUX through `MENU IMMEDIATE`, GRUB through `--hotkey`):
 *   i Install            u Unattended install   f Recovery (factory reset)   r Rescue shell
 *   1 Install, serial    2 Unattended, serial   3 Recovery, serial           4 Rescue shell, serial
 * `c` and `e` are not usable: GRUB's menu takes them for its command line and its editor, before
 * looking at hotkeys. Space, `<`, `>`, `-`, `+` move ISOLINUX's menu cursor.
 */
import { UserError } from '../core/errors.ts';
import { VOLUME_ID } from './xorriso.ts';

/** What the live system does once booted; the installer reads it from /proc/cmdline as `vl.mode`. */
export type BootMode = 'install' | 'unattended' | 'recovery' | 'rescue';

export interface MenuEntry {
  /** ISOLINUX's LABEL and GRUB's --id: what a test, or `DEFAULT`/`set default=`, names it by */
  id: string;
  /** what the administrator reads, the same in both loaders (the hotkey is shown before it) */
  title: string;
  /** one lower-case letter or digit */
  hotkey: string;
  mode: BootMode;
  /** true when /dev/console is the serial line (the last `console=` wins) */
  serial: boolean;
  /** one line (under 78 characters) under ISOLINUX's menu; GRUB has no place for it and keeps it as a comment */
  help: string;
  kernel: string;
  initrd: string;
  /** the kernel command line, word by word */
  args: string[];
}

export interface BootMenu {
  /** ISOLINUX's menu title; GRUB's text menu has no place for one */
  title: string;
  /** the ISO volume id: GRUB finds the medium by it */
  volumeId: string;
  timeoutSeconds: number;
  defaultId: string;
  serial: { unit: number; speed: number };
  entries: MenuEntry[];
}

export const LIVE_KERNEL = '/live/vmlinuz';
export const LIVE_INITRD = '/live/initrd.img';
export const SERIAL_SPEED = 115200;
const serialConsole = `console=ttyS0,${SERIAL_SPEED}n8`;

/**
 * Both consoles get the kernel's messages; the last one becomes /dev/console, where the installer
 * screen, the rescue shell and systemd's status go. VGA entries end with tty0, serial ones with ttyS0.
 */
export const consoleArgs = (serial: boolean): string[] =>
  serial ? ['console=tty0', serialConsole] : [serialConsole, 'console=tty0'];

/**
 * Debian live-boot finds the squashfs on the medium by itself (`boot=live`), with its components.
 * net.ifnames=0: interfaces keep the kernel's names (eth0, ib0), the names a cluster spec's
 * fabric.sif and the blades' boot parameter sif use, whatever the slot of the NIC.
 */
export const LIVE_ARGS = ['boot=live', 'components', 'net.ifnames=0'];

interface ModeText {
  mode: BootMode;
  title: string;
  hotkey: string;
  serialHotkey: string;
  help: string;
  args: string[];
}

const modes: ModeText[] = [
  {
    mode: 'install',
    title: 'Install',
    hotkey: 'i',
    serialHotkey: '1',
    help: 'Find the SAN, lay out its volumes, set up every blade.',
    args: [],
  },
  {
    // The installer looks for the spec itself (a drive labelled VLSPEC, QEMU fw_cfg
    // opt/org.virtualinux/cluster.yaml); `vl.spec=URL` may be added by editing the entry (Tab / e).
    mode: 'unattended',
    title: 'Unattended install',
    hotkey: 'u',
    serialHotkey: '2',
    help: 'From cluster.yaml on drive VLSPEC, fw_cfg, or vl.spec=URL.',
    args: [],
  },
  {
    mode: 'recovery',
    title: 'Recovery (factory reset)',
    hotkey: 'f',
    serialHotkey: '3',
    help: 'Reset one blade, or all, to factory state; keeps shared data.',
    args: [],
  },
  {
    // Services run in a clean environment: only systemd.setenv= (not a bare VAR=value, which
    // stays in PID 1's own environment) reaches rescue.service, whose sulogin then opens a root
    // shell without a password when root's password is locked, as it is on the live system.
    mode: 'rescue',
    title: 'Rescue shell',
    hotkey: 'r',
    serialHotkey: '4',
    help: 'A root shell on the console, no installer: repairs by hand.',
    args: ['systemd.unit=rescue.target', 'systemd.setenv=SYSTEMD_SULOGIN_FORCE=1'],
  },
];

export interface BootMenuOptions {
  /** shown in the menu's title, e.g. "0.1.0" */
  version?: string;
  volumeId?: string;
  /** words added to every entry's command line, e.g. `vl.spec=http://10.0.2.2:8000/cluster.yaml` in the lab */
  extraArgs?: string[];
}

/** The DVD's menu: four entries, then the same four on the serial console; Install is the default. */
export function bootMenu({ version, volumeId = VOLUME_ID, extraArgs = [] }: BootMenuOptions = {}): BootMenu {
  const entry = (text: ModeText, serial: boolean): MenuEntry => ({
    id: serial ? `${text.mode}-serial` : text.mode,
    title: serial ? `${text.title}, serial console` : text.title,
    hotkey: serial ? text.serialHotkey : text.hotkey,
    mode: text.mode,
    serial,
    help: serial ? `${text.help} On ttyS0.` : text.help,
    kernel: LIVE_KERNEL,
    initrd: LIVE_INITRD,
    args: [...LIVE_ARGS, ...consoleArgs(serial), `vl.mode=${text.mode}`, ...text.args, ...extraArgs],
  });
  return {
    title: version ? `VirtuaLinux ${version}` : 'VirtuaLinux',
    volumeId,
    timeoutSeconds: 5,
    defaultId: 'install',
    serial: { unit: 0, speed: SERIAL_SPEED },
    entries: [...modes.map((text) => entry(text, false)), ...modes.map((text) => entry(text, true))],
  };
}

/** What both loaders show: the hotkey in brackets, then the title. */
export const displayTitle = (entry: MenuEntry): string => `[${entry.hotkey}] ${entry.title}`;

const reservedHotkeys: Record<string, string> = {
  c: "GRUB's menu opens its command line on c",
  e: "GRUB's menu opens its entry editor on e",
};

/**
 * Refuses a menu that one of the loaders would read differently from the model: both configs are
 * line based and GRUB's is a shell-like language, so a stray newline or quote would change them.
 */
export function checkMenu(menu: BootMenu): void {
  const problems: string[] = [];
  const ids = new Set<string>();
  const keys = new Set<string>();
  for (const entry of menu.entries) {
    const where = `menu entry "${entry.id}"`;
    if (!/^[a-z][a-z0-9-]*$/.test(entry.id)) {
      problems.push(`${where}: the id must be lower-case letters, digits, -`);
    }
    if (ids.has(entry.id)) problems.push(`${where}: two entries have this id`);
    ids.add(entry.id);
    if (!/^[a-z0-9]$/.test(entry.hotkey)) {
      problems.push(`${where}: hotkey "${entry.hotkey}" must be one lower-case letter or digit`);
    }
    const reserved = reservedHotkeys[entry.hotkey];
    if (reserved) problems.push(`${where}: hotkey "${entry.hotkey}" cannot work: ${reserved}`);
    if (keys.has(entry.hotkey)) problems.push(`${where}: hotkey "${entry.hotkey}" is taken by another entry`);
    keys.add(entry.hotkey);
    // ^ marks ISOLINUX's hotkey; control characters would end or corrupt a config line
    for (const [field, text] of [
      ['title', entry.title],
      ['help', entry.help],
    ] as const) {
      if (/[\p{Cc}^]/u.test(text)) problems.push(`${where}: the ${field} holds a control character or ^`);
    }
    for (const word of [entry.kernel, entry.initrd, ...entry.args]) {
      // ISOLINUX passes APPEND as it is, so a word cannot hold a blank or be quoted; the kernel
      // reads " itself; GRUB gets every other character through its single quotes
      if (word === '' || /[\s\p{Cc}'"\\]/u.test(word)) {
        problems.push(`${where}: "${word}" cannot be passed on both loaders' command lines`);
      }
    }
  }
  if (!ids.has(menu.defaultId)) problems.push(`the default entry "${menu.defaultId}" is not in the menu`);
  if (!Number.isInteger(menu.timeoutSeconds) || menu.timeoutSeconds < 1) {
    problems.push(`the timeout must be a whole number of seconds, at least 1 (${menu.timeoutSeconds})`);
  }
  if (!/^[A-Z0-9_]{1,16}$/.test(menu.volumeId)) {
    problems.push(`the volume id "${menu.volumeId}" must be 1 to 16 of A-Z 0-9 _`);
  }
  if (problems.length > 0) {
    throw new UserError(
      `the boot menu cannot be written:\n  ${problems.join('\n  ')}`,
      'fix the menu model in iso/menu.ts (or the options given to bootMenu)',
    );
  }
}

const generated = (loader: string) =>
  `# VirtuaLinux boot menu for ${loader}, generated by iso/menu.ts: edit the model there, not this file.`;

/**
 * ISOLINUX with menu.c32: `SERIAL` first so that every line, the menu included, also goes to and
 * comes from the serial port; `TIMEOUT` is in tenths of a second.
 */
export function renderIsolinuxCfg(menu: BootMenu): string {
  checkMenu(menu);
  const lines = [
    `SERIAL ${menu.serial.unit} ${menu.serial.speed}`,
    generated('BIOS (ISOLINUX)'),
    'UI menu.c32',
    'PROMPT 0',
    `TIMEOUT ${menu.timeoutSeconds * 10}`,
    `DEFAULT ${menu.defaultId}`,
    `MENU TITLE ${menu.title}`,
    'MENU AUTOBOOT Starting the highlighted entry in # second{,s}...',
    'MENU TABMSG Press a key in [ ] to start an entry, [Tab] to edit it',
  ];
  for (const entry of menu.entries) {
    lines.push(
      '',
      `LABEL ${entry.id}`,
      `  MENU LABEL [^${entry.hotkey}] ${entry.title}`,
      ...(entry.id === menu.defaultId ? ['  MENU DEFAULT'] : []),
      // without it, a hotkey only moves the cursor; GRUB's --hotkey boots at once
      '  MENU IMMEDIATE',
      '  TEXT HELP',
      `  ${entry.help}`,
      '  ENDTEXT',
      `  LINUX ${entry.kernel}`,
      `  INITRD ${entry.initrd}`,
      `  APPEND ${entry.args.join(' ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A word as GRUB's shell-like parser reads it back. */
const grubWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * GRUB for UEFI: terminals on both the firmware console and the serial port, the medium found by
 * its volume id (the early config in bootx64.efi does it too; doing it here keeps this file usable
 * when GRUB was started some other way).
 */
export function renderGrubCfg(menu: BootMenu): string {
  checkMenu(menu);
  const lines = [
    generated('UEFI (GRUB)'),
    `serial --unit=${menu.serial.unit} --speed=${menu.serial.speed} --word=8 --parity=no --stop=1`,
    'terminal_input console serial',
    'terminal_output console serial',
    `search --no-floppy --set=root --label ${menu.volumeId}`,
    `set default=${menu.defaultId}`,
    `set timeout=${menu.timeoutSeconds}`,
    'set timeout_style=menu',
  ];
  for (const entry of menu.entries) {
    lines.push(
      '',
      `# ${entry.help}`,
      `menuentry ${grubWord(displayTitle(entry))} --id=${entry.id} --hotkey=${entry.hotkey} {`,
      `\tlinux ${[entry.kernel, ...entry.args].map(grubWord).join(' ')}`,
      `\tinitrd ${grubWord(entry.initrd)}`,
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}
