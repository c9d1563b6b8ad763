/**
 * Run by qemu.test.ts in a process of its own: starts a VM, prints its pid and exits without
 * stopping it, as a crashed test would. The harness's exit handler must kill it.
 *   usage: tsx abandon-vm.ts VMLINUZ
 */
import { startVm } from '../../../lab/qemu.ts';

const [kernel] = process.argv.slice(2);
if (!kernel) throw new Error('usage: abandon-vm.ts VMLINUZ');
const vm = await startVm({ name: 'abandoned', memoryMiB: 256, kernel: { kernel, append: 'console=ttyS0' } });
process.stdout.write(`${vm.pid}\n`);
process.exit(3);
