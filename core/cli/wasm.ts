/**
 * How V8 runs WebAssembly in our programs: every function compiled once, when its module loads,
 * by the baseline compiler (Liftoff), and never compiled again. Imported first by each entry
 * point (core/cli/run.ts, installer/main.ts), before anything loads Ink, whose layout engine
 * (yoga) is a WebAssembly module compiled as it is imported.
 *
 * V8's default compiles a function at its first call and recompiles the hot ones with TurboFan
 * later, on a background thread, patching its jump table to the new code and freeing the old
 * while the program runs. Under QEMU's TCG with two vCPUs, the lab's installer machine, that is
 * where the guided installer died: SIGSEGV with the instruction pointer in the middle of an
 * instruction or in unmapped memory, or yoga's "memory access out of bounds" under a call its
 * own code does not make; 2 of 20 walks on the serial console, none of 36 with these flags (the
 * crash hunt of 2026-11-29, in issue 8's closing note). On hardware it costs nothing one can
 * see: yoga lays out terminal screens, and all of it compiles in milliseconds.
 */
import { setFlagsFromString } from 'node:v8';

/** V8's flags for it; `node --trace-wasm-compilation-times` shows what they do */
export const WASM_FLAGS = ['--liftoff-only', '--no-wasm-lazy-compilation'] as const;

for (const flag of WASM_FLAGS) setFlagsFromString(flag);
