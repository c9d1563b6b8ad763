import { spawn } from 'node:child_process';

/**
 * Runs a program whose reader closes its stdout at once, as `| head -1` does once it has its
 * line: the program's first write meets a closed pipe (EPIPE). Resolves with its exit code and
 * what it wrote on stderr.
 */
export function withClosedStdout(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ exitCode: number | null; stderr: string }> {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stderr }));
  });
}
