/**
 * Locks held by a process: a file created exclusively that names the holder's pid. A lock whose
 * holder is gone (crash, kill -9) is taken over, so nothing ever has to be removed by hand.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from './errors.ts';

/**
 * Whether a process still runs: a zombie does not (it shows up when the process that reaps
 * orphans, PID 1 in some containers, never does).
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Takes the lock at `path` or throws a UserError naming the process that holds it; `what` says
 * what the lock protects ("a build of this image"). Returns the release function.
 */
export function takeLock(path: string, what: string): () => void {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) {
        throw new UserError(
          `${what} is running already (pid ${pid})`,
          `wait for it, or stop it; its lock is ${path}`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new UserError(`cannot take the lock ${path}`, `remove it if no ${what} is running`);
}

/**
 * Stops a process: `signal` (SIGTERM by default; tgtd, which ignores it, gets SIGKILL at once),
 * then SIGKILL if it still runs after `graceMs`; resolves when it is gone.
 */
export async function stopProcess(
  pid: number,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 5_000,
): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isRunning(pid) && Date.now() < deadline) await sleep(50);
  if (isRunning(pid)) {
    process.kill(pid, 'SIGKILL');
    while (isRunning(pid)) await sleep(50);
  }
}
