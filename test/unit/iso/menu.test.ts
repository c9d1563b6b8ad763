/** The boot menu: one model, the same menu on BIOS (ISOLINUX) and UEFI (GRUB). */
import { describe, expect, test } from 'vitest';
import { UserError } from '../../../core/errors.ts';
import { type BootMenu, bootMenu, checkMenu, renderGrubCfg, renderIsolinuxCfg } from '../../../iso/menu.ts';

interface SeenEntry {
  id: string;
  title: string;
  hotkey: string;
  kernel: string;
  initrd: string;
  args: string[];
}

/** Reads isolinux.cfg back the way menu.c32 does: LABEL blocks, ^ marking the hotkey. */
function readIsolinux(cfg: string) {
  const entries: Array<SeenEntry & { immediate: boolean; isDefault: boolean }> = [];
  let current: (typeof entries)[number] | undefined;
  for (const line of cfg.split('\n').map((l) => l.trim())) {
    const [keyword = '', ...rest] = line.split(' ');
    const value = rest.join(' ');
    if (keyword === 'LABEL') {
      current = {
        id: value,
        title: '',
        hotkey: '',
        kernel: '',
        initrd: '',
        args: [],
        immediate: false,
        isDefault: false,
      };
      entries.push(current);
      continue;
    }
    if (!current) continue;
    if (line.startsWith('MENU LABEL ')) {
      const label = line.slice('MENU LABEL '.length);
      current.hotkey = label[label.indexOf('^') + 1] ?? '';
      current.title = label.replace('^', '');
    } else if (line === 'MENU IMMEDIATE') current.immediate = true;
    else if (line === 'MENU DEFAULT') current.isDefault = true;
    else if (keyword === 'LINUX') current.kernel = value;
    else if (keyword === 'INITRD') current.initrd = value;
    else if (keyword === 'APPEND') current.args = rest;
  }
  return entries;
}

/** Reads grub.cfg's menuentry blocks back. */
function readGrub(cfg: string): SeenEntry[] {
  const blocks = cfg.matchAll(
    /^menuentry '([^']*)' --id=(\S+) --hotkey=(\S) \{\n\tlinux (\S+) ([^\n]*)\n\tinitrd (\S+)\n\}$/gm,
  );
  return [...blocks].map(([, title = '', id = '', hotkey = '', kernel = '', args = '', initrd = '']) => ({
    id,
    title,
    hotkey,
    kernel,
    initrd,
    args: args.split(' '),
  }));
}

const menu = bootMenu({ version: '0.1.0' });
const isolinux = renderIsolinuxCfg(menu);
const grub = renderGrubCfg(menu);
const lastConsole = (args: string[]) => args.filter((arg) => arg.startsWith('console=')).at(-1);

describe('the same menu on both loaders', () => {
  test('both configs carry the same eight entries: ids, titles, hotkeys, kernel, initrd, command lines', () => {
    const fromIsolinux = readIsolinux(isolinux).map(({ immediate, isDefault, ...entry }) => entry);
    const fromGrub = readGrub(grub);
    expect(fromIsolinux).toHaveLength(8);
    expect(fromGrub).toEqual(fromIsolinux);
    expect(fromGrub.map((e) => e.title)).toEqual([
      '[i] Install',
      '[u] Unattended install',
      '[f] Recovery (factory reset)',
      '[r] Rescue shell',
      '[1] Install, serial console',
      '[2] Unattended install, serial console',
      '[3] Recovery (factory reset), serial console',
      '[4] Rescue shell, serial console',
    ]);
  });

  test('a hotkey boots its entry at once in both: MENU IMMEDIATE in ISOLINUX, --hotkey in GRUB', () => {
    const entries = readIsolinux(isolinux);
    expect(entries.map((e) => e.hotkey)).toEqual(['i', 'u', 'f', 'r', '1', '2', '3', '4']);
    expect(entries.every((e) => e.immediate)).toBe(true);
    expect(isolinux).toContain('MENU LABEL [^i] Install\n');
    expect(grub).toContain("menuentry '[i] Install' --id=install --hotkey=i {");
  });

  test('Install is the default and starts after 5 seconds with no key pressed', () => {
    expect(isolinux).toMatch(/^TIMEOUT 50$/m);
    expect(isolinux).toMatch(/^DEFAULT install$/m);
    expect(
      readIsolinux(isolinux)
        .filter((e) => e.isDefault)
        .map((e) => e.id),
    ).toEqual(['install']);
    expect(isolinux).toMatch(/^PROMPT 0$/m);
    expect(grub).toMatch(/^set timeout=5$/m);
    expect(grub).toMatch(/^set default=install$/m);
    expect(grub).toMatch(/^set timeout_style=menu$/m);
  });

  test('both loaders talk on the VGA console and on the serial port at 115200', () => {
    expect(isolinux.split('\n')[0]).toBe('SERIAL 0 115200');
    expect(isolinux).toMatch(/^UI menu\.c32$/m);
    expect(grub).toMatch(/^serial --unit=0 --speed=115200 /m);
    expect(grub).toMatch(/^terminal_input console serial$/m);
    expect(grub).toMatch(/^terminal_output console serial$/m);
  });

  test('GRUB finds the medium by the ISO volume id', () => {
    expect(grub).toMatch(/^search --no-floppy --set=root --label VIRTUALINUX$/m);
  });
});

describe('kernel command lines', () => {
  const entries = readGrub(grub);
  const byId = (id: string) => entries.find((e) => e.id === id) as SeenEntry;

  test('every entry boots the live system from /live with live-boot and names its mode', () => {
    for (const entry of entries) {
      expect(entry.kernel).toBe('/live/vmlinuz');
      expect(entry.initrd).toBe('/live/initrd.img');
      expect(entry.args.slice(0, 2)).toEqual(['boot=live', 'components']);
      expect(entry.args).toContain(`vl.mode=${entry.id.replace(/-serial$/, '')}`);
      expect(entry.args).not.toContain('quiet');
    }
  });

  test('kernel messages go to both consoles; the serial variants make ttyS0 /dev/console (the last console=)', () => {
    for (const entry of entries) {
      expect(entry.args).toEqual(expect.arrayContaining(['console=tty0', 'console=ttyS0,115200n8']));
      expect(lastConsole(entry.args)).toBe(
        entry.id.endsWith('-serial') ? 'console=ttyS0,115200n8' : 'console=tty0',
      );
    }
  });

  test('Rescue starts rescue.target, and sulogin gives a root shell without a password', () => {
    for (const id of ['rescue', 'rescue-serial']) {
      expect(byId(id).args).toEqual(
        expect.arrayContaining([
          'vl.mode=rescue',
          'systemd.unit=rescue.target',
          'systemd.setenv=SYSTEMD_SULOGIN_FORCE=1',
        ]),
      );
    }
    expect(byId('install').args.join(' ')).not.toMatch(/rescue|SULOGIN/);
  });

  test('Unattended sets only the mode: the installer looks for the spec itself', () => {
    expect(byId('unattended').args).toEqual([
      'boot=live',
      'components',
      'net.ifnames=0',
      'console=ttyS0,115200n8',
      'console=tty0',
      'vl.mode=unattended',
    ]);
  });

  test('extra words (vl.spec=URL in the lab) reach every entry, quoted for GRUB, as they are for ISOLINUX', () => {
    const url = 'vl.spec=http://10.0.2.2:8000/cluster.yaml?a=1&b=$x;';
    const lab = bootMenu({ extraArgs: [url] });
    expect(readIsolinux(renderIsolinuxCfg(lab)).every((e) => e.args.at(-1) === url)).toBe(true);
    const grubLab = renderGrubCfg(lab);
    expect(grubLab.split(`'${url}'`)).toHaveLength(9);
  });
});

describe('menus the loaders would read differently are refused', () => {
  const broken = (change: (menu: BootMenu) => void): string => {
    const copy = structuredClone(menu);
    change(copy);
    try {
      renderGrubCfg(copy);
    } catch (error) {
      expect(error).toBeInstanceOf(UserError);
      return (error as UserError).message;
    }
    throw new Error('the menu was accepted');
  };
  const first = (m: BootMenu) => m.entries[0] as BootMenu['entries'][number];

  test('c and e: GRUB opens its command line and its editor on them, before looking at hotkeys', () => {
    expect(broken((m) => (first(m).hotkey = 'c'))).toMatch(
      /hotkey "c" cannot work: GRUB's menu opens its command line/,
    );
    expect(broken((m) => (first(m).hotkey = 'e'))).toMatch(/entry editor/);
  });

  test('a hotkey used twice, or not one lower-case letter or digit', () => {
    expect(broken((m) => (first(m).hotkey = 'u'))).toMatch(/menu entry "unattended": hotkey "u" is taken/);
    expect(broken((m) => (first(m).hotkey = 'I'))).toMatch(/must be one lower-case letter or digit/);
  });

  test('a kernel argument with a blank, a quote or a newline', () => {
    expect(broken((m) => first(m).args.push('vl.spec=a b'))).toMatch(/"vl.spec=a b" cannot be passed/);
    expect(broken((m) => first(m).args.push('x="y"'))).toMatch(/cannot be passed/);
    expect(broken((m) => first(m).args.push('a\nLABEL evil'))).toMatch(/cannot be passed/);
  });

  test('a title with ^ (ISOLINUX would take it for the hotkey), a default that is not an entry', () => {
    expect(broken((m) => (first(m).title = 'In^stall'))).toMatch(/the title holds a control character or \^/);
    expect(broken((m) => (m.defaultId = 'nothing'))).toMatch(
      /the default entry "nothing" is not in the menu/,
    );
  });

  test('the shipped menu passes, and its help lines fit under ISOLINUX’s 80 columns', () => {
    expect(() => checkMenu(menu)).not.toThrow();
    for (const entry of menu.entries) expect(entry.help.length).toBeLessThan(78);
  });
});
