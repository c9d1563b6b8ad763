/**
 * Vitest glue for the QEMU harness: no test leaves a VM running, and a failed test leaves its
 * serial console in a file for CI to keep (out/e2e-logs/ by default, git-ignored).
 *
 *   const vms = trackVms();                    // at the top of a test file
 *   const vm = await vms.start({ cdrom: iso });  // in a test
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach } from 'vitest';
import { startVm, stopAllVms, type Vm, type VmOptions } from '../../../lab/qemu.ts';

const packageRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** $VIRTUALINUX_E2E_LOGS, else out/e2e-logs in the package */
export const e2eLogDir = (env: NodeJS.ProcessEnv = process.env): string =>
  env.VIRTUALINUX_E2E_LOGS || join(packageRoot, 'out', 'e2e-logs');

const fileSafe = (text: string) => text.replaceAll(/[^\w.-]+/g, '-').replaceAll(/^-|-$/g, '');

/** Writes what the VM's serial console (and QEMU itself) said; returns the file's path. */
export function writeSerialLog(vm: Vm, dir: string, label: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${fileSafe(label)}.${fileSafe(vm.name)}.serial.log`);
  const qemu = vm.qemuErrors().trim();
  writeFileSync(
    file,
    `# ${vm.command.tool} ${vm.command.args.join(' ')}\n${vm.serialLog()}${qemu ? `\n# qemu stderr:\n${qemu}\n` : ''}`,
  );
  return file;
}

/**
 * After each test: when it failed, the serial log of every VM it started is written to `logDir`
 * (its path printed); then every VM still running is stopped. After the file: the same, again.
 */
export function trackVms(logDir: string = e2eLogDir()) {
  let started: Vm[] = [];
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      for (const vm of started) {
        const file = writeSerialLog(vm, logDir, context.task.name);
        process.stderr.write(`serial console of ${vm.name} (failed test): ${file}\n`);
      }
    }
    started = [];
    await stopAllVms();
  });
  afterAll(stopAllVms);
  return {
    /** startVm, remembering the VM for this test's logs and cleanup */
    start: async (options: VmOptions): Promise<Vm> => {
      const vm = await startVm(options);
      started.push(vm);
      return vm;
    },
  };
}
