/** The lab as the benchmarks drive it: `virtualinux lab` commands on one lab directory. */
import { execa } from 'execa';

const bin = new URL('../bin/virtualinux.js', import.meta.url).pathname;
const env = { CI: 'true' };

/** `lab SUBCOMMAND --dir DIR ARGS...`: its stdout; a failure throws with what it printed */
export function labIn(dir: string) {
  return async (args: string[]): Promise<string> => {
    const result = await execa(bin, ['lab', ...args.slice(0, 1), '--dir', dir, ...args.slice(1)], {
      env,
      reject: false,
      stdin: 'ignore',
    });
    if (result.exitCode !== 0) {
      throw new Error(
        `lab ${args.join(' ')} failed (${result.exitCode}):\n${result.stderr}\n${result.stdout}`,
      );
    }
    return result.stdout;
  };
}

/** stops what the lab runs (machines, SAN); never throws: it runs in a finally */
export async function labDown(dir: string): Promise<void> {
  await execa(bin, ['lab', 'down', '--dir', dir], { env, reject: false, stdin: 'ignore' });
}

/** a terminal's output as plain lines: the installer on a console rewrites its status line in place */
const ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
const plain = (text: string) => text.replaceAll(ESCAPE, '').replaceAll('\r', '\n');

/** "ok [3/9] write image node onto img_node ... (1 min 2 s)" → description and seconds */
export function actionsOf(output: string): Array<{ what: string; seconds: number }> {
  return [...plain(output).matchAll(/^ok \[\d+\/\d+\] (.*) \((?:(\d+) min )?([\d.]+) (s|ms)\)$/gm)].map(
    (m) => ({
      what: (m[1] ?? '').slice(0, 70),
      seconds: Number(m[2] ?? 0) * 60 + Number(m[3]) / (m[4] === 'ms' ? 1000 : 1),
    }),
  );
}
