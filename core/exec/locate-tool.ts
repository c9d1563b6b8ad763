/** Finds a tool on PATH before anything is spawned, so that "not installed" is said plainly. */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, resolve } from 'node:path';

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The absolute path of the tool, or undefined; a tool containing `/` is a path, as for execvp. */
export async function locateTool(
  tool: string,
  searchPath: string,
  cwd = process.cwd(),
): Promise<string | undefined> {
  if (tool === '') return undefined;
  if (tool.includes('/')) {
    const path = resolve(cwd, tool);
    return (await isExecutableFile(path)) ? path : undefined;
  }
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '') continue;
    const path = resolve(cwd, dir, tool);
    if (await isExecutableFile(path)) return path;
  }
  return undefined;
}
