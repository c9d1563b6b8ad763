/**
 * The QEMU harness against a real, tiny boot: Debian's kernel and initramfs from the debian-12
 * image (built by the images tests, ~/.cache/virtualinux/images), booted directly with no root
 * filesystem, so the initramfs stops at its shell, `(initramfs)`, in a few seconds of TCG.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isRunning } from '../../../core/pid-lock.ts';
import { cacheRoot } from '../../../images/paths.ts';
import { qemuCommand, runningVmCount } from '../../../lab/qemu.ts';
import { trackVms, writeSerialLog } from '../../e2e/harness/cleanup.ts';

const BOOT_MS = 240_000;

/** the newest debian-12 image archive in the cache, if the images tests built one */
function debianArchive(): string | undefined {
  const dir = join(cacheRoot(), 'images', 'debian-12');
  if (!existsSync(dir)) return undefined;
  const archives = readdirSync(dir)
    .map((key) => join(dir, key, 'rootfs.tar.zst'))
    .filter((file) => existsSync(file))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return archives[0];
}

/** a killed process takes a moment to go: asks for up to 5 s */
async function goneSoon(pid: number): Promise<boolean> {
  for (let tries = 0; tries < 50; tries++) {
    if (!isRunning(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe('qemuCommand (pure)', () => {
  test('a BIOS VM: TCG, no display, no reboot, the serial console on stdio', () => {
    const { tool, args } = qemuCommand({ name: 'dvd', cdrom: '/out/vl.iso', memoryMiB: 2048 });
    expect(tool).toBe('qemu-system-x86_64');
    const line = args.join(' ');
    expect(line).toContain('-accel tcg');
    expect(line).toContain('-m 2048');
    expect(line).toContain('-drive file=/out/vl.iso,format=raw,if=ide,index=2,media=cdrom,readonly=on');
    expect(line).toContain('-boot order=dc');
    expect(line).toContain('-display none -no-reboot');
    expect(line).toContain('-chardev stdio,id=serial0,signal=off -serial chardev:serial0 -monitor none');
    expect(line).not.toContain('pflash');
  });

  test('a UEFI VM: OVMF code read-only, its own variable store writable', () => {
    const { args } = qemuCommand({ firmware: 'uefi', ovmfDir: '/fw' }, '/tmp/vm/OVMF_VARS_4M.fd');
    expect(args).toContain('if=pflash,format=raw,unit=0,readonly=on,file=/fw/OVMF_CODE_4M.fd');
    expect(args).toContain('if=pflash,format=raw,unit=1,file=/tmp/vm/OVMF_VARS_4M.fd');
    expect(() => qemuCommand({ firmware: 'uefi' })).toThrow(/variable store/);
  });

  test('disks, extra arguments, and commas in file names doubled as QEMU wants', () => {
    const { args } = qemuCommand({
      disks: [
        { file: '/lab/a,b.img', snapshot: true },
        { file: '/lab/spec.img', interface: 'ide', readOnly: true },
      ],
      extraArgs: ['-fw_cfg', 'name=opt/org.virtualinux/cluster.yaml,file=/lab/cluster.yaml'],
    });
    expect(args).toContain('file=/lab/a,,b.img,format=raw,if=virtio,snapshot=on');
    expect(args).toContain('file=/lab/spec.img,format=raw,if=ide,readonly=on');
    expect(args.slice(-2)).toEqual([
      '-fw_cfg',
      'name=opt/org.virtualinux/cluster.yaml,file=/lab/cluster.yaml',
    ]);
    expect(args).not.toContain('-boot');
  });
});

describe('a real boot', () => {
  const vms = trackVms();
  let work: string;
  let kernel = '';
  let initrd = '';

  beforeAll(async () => {
    const archive = debianArchive();
    if (!archive) return;
    work = mkdtempSync(join(tmpdir(), 'vl-harness-'));
    await execa('tar', [
      '--zstd',
      '--wildcards',
      '-xf',
      archive,
      '-C',
      work,
      './boot/vmlinuz-*',
      './boot/initrd.img-*',
    ]);
    const boot = readdirSync(join(work, 'boot'));
    kernel = join(work, 'boot', boot.find((f) => f.startsWith('vmlinuz-')) ?? '');
    initrd = join(work, 'boot', boot.find((f) => f.startsWith('initrd.img-')) ?? '');
  });
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const needKernel = (context: { skip: (note?: string) => void }) => {
    if (!kernel) context.skip('no debian-12 image in the cache: run the images integration tests first');
  };

  test('BIOS: boots to the initramfs shell, answers a command, reports a timeout, and stops for good', async (context) => {
    needKernel(context);
    const vm = await vms.start({
      name: 'bios',
      memoryMiB: 512,
      kernel: { kernel, initrd, append: 'console=ttyS0' },
    });
    const pid = vm.pid;
    expect(isRunning(pid)).toBe(true);

    const banner = await vm.waitFor(/Linux version (\d+\.\d+\S*) /, BOOT_MS);
    expect(banner[1]).toMatch(/^\d+\.\d+/);
    // no root= given: initramfs-tools says so and opens its shell
    await vm.waitFor(/\(initramfs\) $/m, BOOT_MS);
    vm.send('echo vl-harness-$((6*7))\n');
    await vm.waitFor(/vl-harness-42/, 30_000);
    expect(vm.serialLog()).toContain('No root device specified');

    // a timeout says what the console last said; a failure log keeps all of it
    const error = await vm.waitFor(/never said/, 1_000).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^bios: no \/never said\/ on the serial console within 1 s; its last lines:\n/);
    expect(message).toContain('  | vl-harness-42');
    expect(message.split('\n').length).toBeLessThanOrEqual(41);
    const logDir = mkdtempSync(join(tmpdir(), 'vl-harness-logs-'));
    const file = writeSerialLog(vm, logDir, 'a failed test: with spaces');
    expect(file).toBe(join(logDir, 'a-failed-test-with-spaces.bios.serial.log'));
    expect(readFileSync(file, 'utf8')).toMatch(
      /^# qemu-system-x86_64 -name bios [^\n]+\n[\s\S]*Linux version/,
    );
    rmSync(logDir, { recursive: true });

    await vm.stop();
    expect(isRunning(pid)).toBe(false);
    expect(vm.qemuErrors()).toMatch(/terminating on signal 15/);
    expect(runningVmCount()).toBe(0);
    await vm.stop(); // a second stop is harmless
  });

  test('UEFI: OVMF from pflash with a private variable store, removed on stop', async (context) => {
    needKernel(context);
    const vm = await vms.start({
      name: 'uefi',
      firmware: 'uefi',
      memoryMiB: 512,
      kernel: { kernel, initrd, append: 'console=ttyS0' },
    });
    const vars = vm.command.args.find((arg) => arg.startsWith('if=pflash,format=raw,unit=1,file='));
    const varsFile = vars?.slice(vars.indexOf('file=') + 'file='.length) ?? '';
    expect(existsSync(varsFile)).toBe(true);
    await vm.waitFor(/EFI v\d|efi: EFI v/, BOOT_MS);
    await vm.waitFor(/\(initramfs\) $/m, BOOT_MS);
    await vm.stop();
    expect(existsSync(varsFile)).toBe(false);
  });

  test('QEMU ending before the pattern is reported at once, with what QEMU said', async () => {
    const vm = await vms.start({ name: 'broken', kernel: { kernel: '/nonexistent/vmlinuz' } });
    const error = await vm.waitFor(/Linux version/, BOOT_MS).catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      /^broken: qemu exited \(code 1\); qemu said:\n.*nonexistent\/vmlinuz/,
    );
  });

  test('a test process that dies with a VM running does not leave it behind', async (context) => {
    needKernel(context);
    const script = new URL('./abandon-vm.ts', import.meta.url).pathname;
    const result = await execa('npx', ['tsx', script, kernel], { reject: false });
    expect(result.exitCode).toBe(3);
    const pid = Number(result.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    expect(await goneSoon(pid)).toBe(true);
  });
});
