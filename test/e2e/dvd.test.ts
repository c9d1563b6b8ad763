/**
 * The DVD as a machine meets it: built by `virtualinux dvd build` (what `npm run dvd` runs), booted
 * under QEMU (TCG) with SeaBIOS and with OVMF. The installer must greet us on the serial console
 * (and its guided installer, killed there, must say so and start again from its answers);
 * the Rescue entry must give a root shell in which the medium's SHA256SUMS verify. The first build
 * in a fresh CI takes minutes (images, live system); a rebuild with nothing changed takes seconds.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseElTorito } from '../../iso/xorriso.ts';
import { trackVms } from './harness/cleanup.ts';
import { SERIAL_KEYS, SerialScreens, serialConsoleOf } from './harness/serial-screens.ts';

const bin = new URL('../../bin/virtualinux.js', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'vl-dvd-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const vms = trackVms();
const env = { CI: 'true' };

const BOOT_MS = 240_000;
let iso: string;

const dvdBuild = () => execa(bin, ['dvd', 'build', '--out', out], { env, reject: false, stdin: 'ignore' });

beforeAll(async () => {
  const build = await dvdBuild();
  expect(build.exitCode, build.stderr.split('\n').slice(-30).join('\n')).toBe(0);
  iso = /^(\S+\.iso) /.exec(build.stdout)?.[1] as string;
  expect(iso).toMatch(/virtualinux-\d+\.\d+\.\d+-amd64\.iso$/);
}, 60 * 60_000);

test('the ISO is hybrid: a BIOS and a UEFI El Torito boot image', async () => {
  const report = await execa('xorriso', ['-indev', iso, '-report_el_torito', 'plain'], { stdin: 'ignore' });
  const images = parseElTorito(report.stdout);
  expect(images.map((i) => i.platform).sort()).toEqual(['BIOS', 'UEFI']);
  const sha = (await execa('sha256sum', [iso])).stdout.split(' ')[0];
  expect(`${sha}  ${iso.split('/').at(-1)}\n`).toBe(
    (await import('node:fs')).readFileSync(`${iso}.sha256`, 'utf8'),
  );
});

// UEFI's GRUB only: BIOS's ISOLINUX boots the live system in the Rescue test below and, to the
// installer, in every lab install (test/e2e/lab.test.ts); a third boot cost 4 min of CI
test.each(['uefi'] as const)(
  'with %s firmware the default entry boots to the installer on the serial console; its guided installer, killed on a screen, is said so with the kernel lines and starts again from its answers',
  async (firmware) => {
    const vm = await vms.start({ name: `dvd-${firmware}`, cdrom: iso, firmware, memoryMiB: 2048 });
    // ISOLINUX paints the hotkey in another colour: match text without escape sequences in it
    await vm.waitFor(/Unattended install/, 60_000);
    await vm.waitFor(/Linux version/, 60_000);
    await vm.waitFor(/VirtuaLinux installer/, BOOT_MS);
    await vm.waitFor(/Shell/, 10_000);

    // the menu's i: the guided installer on this console too (it runs on tty1 already). Killed
    // with SIGSEGV from its own `!` shell on the Network screen, as a crash would end it
    const screens = new SerialScreens(serialConsoleOf(vm));
    const { enter, ctrlC } = SERIAL_KEYS;
    await screens.keys('i');
    await screens.shows(/\[ Begin \]/, 120_000);
    await screens.keys(enter);
    await screens.shows(/1\/5 Network/, 120_000);
    await screens.keys('!');
    await screens.shows(/A root shell\. The installer waits[\s\S]*# $/m, 60_000);
    await screens.keys('kill -SEGV $PPID; exit\r');
    const killed = await screens.shows(/Back from the guided installer \(exit status 139\)\./, 120_000);
    expect(killed).toContain('The guided installer was killed by SIGSEGV (exit status 139); this is a bug');
    // kernel.print-fatal-signals (the live system's sysctl.d): the signal, then the dump naming the pid
    expect(killed).toMatch(
      /The kernel's log from the crash on:\n {2}.*potentially unexpected fatal signal 11\.\n {2}.*PID: \d+ Comm: node/,
    );
    // i again: Welcome says where the walk stopped; leaving drops it, and the next start is new
    await screens.keys('i');
    await screens.shows(
      /stopped\s+at\s+\d\d:\d\d\s+UTC\s+on\s+the\s+Network\s+screen\s+without\s+being\s+left[\s\S]*\[ Begin \]/,
      120_000,
    );
    await screens.keys(ctrlC);
    await screens.shows(/Leave the installer\?/, 60_000);
    await screens.keys('y');
    await screens.shows(/Back from the guided installer \(exit status 0\)\./, 60_000);
    await screens.keys('i');
    expect(await screens.shows(/\[ Begin \]/, 120_000)).not.toMatch(/stopped\s+at/);
  },
  BOOT_MS + 500_000,
);

test(
  'the Rescue entry (serial) gives a root shell, and SHA256SUMS verifies in the booted system',
  async () => {
    const vm = await vms.start({ name: 'dvd-rescue', cdrom: iso, firmware: 'bios', memoryMiB: 2048 });
    await vm.waitFor(/Rescue shell, serial console/, 60_000);
    vm.send('4');
    await vm.waitFor(/vl\.mode=rescue/, 60_000);
    await vm.waitFor(/Control-D to continue\): /, BOOT_MS);
    vm.send('\n');
    await vm.waitFor(/# $/m, 30_000).catch(() => {
      vm.send('\n');
      return vm.waitFor(/# $/m, 30_000);
    });
    vm.send('cd /run/live/medium && sha256sum --check --quiet SHA256SUMS && echo "sums-$((40 + 2))"\n');
    await vm.waitFor(/sums-42/, 120_000);
    expect(vm.serialLog()).not.toMatch(/FAILED/);
  },
  BOOT_MS + 240_000,
);

test("the blades' initramfs on the DVD holds the root script, iSCSI, iSER/IPoIB, multipath, LVM, overlay and its tools", async () => {
  const initrd = join(out, 'blade-initrd.img');
  await execa('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/boot/blade/initrd.img', initrd], {
    stdin: 'ignore',
  });
  // what lsinitramfs lists: one zstd-compressed newc archive (the node image has no microcode to put first)
  const listing = await execa('sh', ['-c', `zstd -dc "${initrd}" | cpio -it --quiet`]);
  const files = listing.stdout.split('\n');
  const has = (pattern: RegExp) => files.some((file) => pattern.test(file));
  const modules = [
    'iscsi_tcp',
    'ib_iser',
    'iscsi_ibft',
    'ib_ipoib',
    'mlx4_ib',
    'mlx5_ib',
    'dm-mod',
    'dm-multipath',
    'dm-round-robin',
    'overlay',
    'ext4',
    'vfat',
  ];
  expect(modules.filter((module) => !has(new RegExp(`/${module}\\.ko(\\.[a-z]+)?$`)))).toEqual([]);
  const tools = [
    'scripts/vl',
    'iscsistart',
    'lvm',
    'multipath',
    'kpartx',
    'dmsetup',
    'debugfs',
    'busybox',
    'ipconfig',
  ];
  // multipath's checkers and its configuration (find_multipaths strict, from overlays/node)
  expect(has(/^(usr\/)?lib\/multipath\/libchecktur\.so$/)).toBe(true);
  expect(has(/^etc\/multipath\.conf$/)).toBe(true);
  expect(tools.filter((tool) => !has(new RegExp(`(^|/)${tool}$`)))).toEqual([]);
  // the boot script is the one in overlays/node
  const script = await execa('sh', ['-c', `zstd -dc "${initrd}" | cpio -i --quiet --to-stdout scripts/vl`]);
  expect(script.stdout).toContain('mountroot()');
}, 120_000);

test('a rebuild with nothing changed runs no stage, leaves the ISO untouched, and takes under 10 s', async () => {
  const before = statSync(iso).mtimeMs;
  const started = performance.now();
  const again = await dvdBuild();
  const seconds = (performance.now() - started) / 1000;
  expect(again.exitCode, again.stderr).toBe(0);
  expect(again.stdout).toContain('unchanged');
  expect(again.stderr).not.toMatch(/^-> /m);
  expect(statSync(iso).mtimeMs).toBe(before);
  expect(seconds).toBeLessThan(10);
}, 60_000);
