/**
 * The guided installer on a lab machine's serial console: keys sent as a serial line sends them,
 * screens read from the console's log with the terminal's escape sequences taken out (Ink redraws
 * a frame by erasing lines and writing it again; colours sit inside lines).
 */
import type { LabVm } from '../../../lab/machines.ts';
import type { Vm } from '../../../lab/qemu.ts';

/** what the screens need of a machine: a lab's (LabVm) or a bare QEMU one (serialConsoleOf) */
export type SerialConsole = Pick<LabVm, 'name' | 'serialLog' | 'running'> & { send(text: string): unknown };

/** a VM started by the QEMU harness, as a serial console */
export function serialConsoleOf(vm: Vm): SerialConsole {
  let exited = false;
  void vm.exited.then(() => {
    exited = true;
  });
  return {
    name: vm.name,
    serialLog: () => vm.serialLog(),
    send: (text) => vm.send(text),
    running: () => !exited,
  };
}

// CSI sequences (cursor, erase, colours), charset designations, keypad modes, carriage returns
const ESC = '\u001B';
const ESCAPES = new RegExp(`${ESC}\\[[0-9;?]*[ -/]*[@-~]|${ESC}[()][0-9A-Za-z]|${ESC}[=>78]|\r`, 'g');

export const plainText = (log: string) => log.replace(ESCAPES, '');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const SERIAL_KEYS = { enter: '\r', tab: '\t', shiftTab: '\u001B[Z', ctrlC: '\u0003' } as const;

export class SerialScreens {
  #from: number;

  constructor(readonly vm: SerialConsole) {
    this.#from = vm.serialLog().length;
  }

  async keys(text: string): Promise<void> {
    await this.vm.send(text);
  }

  /**
   * Waits until what the console drew since the last match shows the pattern (escapes taken
   * out); the next call looks only at what comes after. Resolves with that text.
   */
  async shows(pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = this.vm.serialLog();
      const text = plainText(log.slice(this.#from));
      if (pattern.test(text)) {
        this.#from = log.length;
        return text;
      }
      if (!this.vm.running() || Date.now() > deadline) {
        const why = this.vm.running()
          ? `within ${Math.round(timeoutMs / 1000)} s`
          : 'before the machine stopped';
        throw new Error(
          `${this.vm.name}: no ${pattern} on the console ${why}; it drew last:\n${text.slice(-3000)}`,
        );
      }
      await sleep(250);
    }
  }
}
