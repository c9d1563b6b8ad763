/**
 * Bundles the installer (installer/main.ts and everything it imports, node_modules included) into
 * one ESM file that the live system runs with a bare `node`: no node_modules, no tsx on the DVD.
 * Same inputs, same bytes: paths in the output are relative to the package root and nothing
 * depends on the time or the output location, so the DVD's stage cache and reproducibility hold.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, version as esbuildVersion, type Message, type Plugin } from 'esbuild';
import { UserError } from '../core/errors.ts';

export const packageRoot = fileURLToPath(new URL('..', import.meta.url));
export const installerEntry = join(packageRoot, 'installer', 'main.ts');

/** part of the bundle stage's cache key: another esbuild may write other bytes */
export const bundlerVersion = esbuildVersion;

export interface InstallerBundle {
  bytes: number;
  sha256: string;
  /** every file esbuild read, absolute and sorted: the bundle stage's cache inputs */
  inputs: string[];
}

// CommonJS dependencies bundled into ESM (cross-spawn under execa) call require() for Node's
// built-ins; an ESM file has no require, so the banner makes one.
const banner = (version: string) =>
  [
    `// VirtuaLinux installer ${version}: bundled by installer/bundle.ts, do not edit`,
    "import { createRequire as __virtualinuxCreateRequire } from 'node:module';",
    'const require = __virtualinuxCreateRequire(import.meta.url);',
  ].join('\n');

const STUB = 'virtualinux-stub';

/**
 * Ink imports react-devtools-core only when DEV=true, and the package is not installed: the
 * bundle gets an empty module in its place (what Ink does without it: no devtools), so that
 * esbuild, which resolves every import it can see, does not fail on it.
 */
const noDevtools: Plugin = {
  name: 'no-react-devtools',
  setup(build) {
    build.onResolve({ filter: /^react-devtools-core$/ }, (args) => ({ path: args.path, namespace: STUB }));
    build.onLoad({ filter: /.*/, namespace: STUB }, () => ({ contents: 'export default {};', loader: 'js' }));
  },
};

const options = (version: string): BuildOptions => ({
  absWorkingDir: packageRoot,
  entryPoints: [installerEntry],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outfile: 'installer.mjs',
  write: false,
  metafile: true,
  sourcemap: false,
  charset: 'utf8',
  legalComments: 'eof',
  define: { VIRTUALINUX_VERSION: JSON.stringify(version) },
  banner: { js: banner(version) },
  plugins: [noDevtools],
  logLevel: 'silent',
});

async function bundle(version: string) {
  try {
    return await build(options(version));
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors ?? [];
    const first = errors[0];
    if (!first) throw error;
    const where = first.location ? `${first.location.file}:${first.location.line}: ` : '';
    throw new UserError(
      `the installer could not be bundled: ${where}${first.text}`,
      errors.length > 1 ? `and ${errors.length - 1} more error(s); check with: npx tsc --noEmit` : undefined,
    );
  }
}

/** the files read; the stub is no file */
const inputsOf = (metafile: { inputs: Record<string, unknown> } | undefined): string[] =>
  Object.keys(metafile?.inputs ?? {})
    .filter((input) => !input.startsWith(`${STUB}:`))
    .map((input) => resolve(packageRoot, input))
    .sort();

/** Writes the bundle to `outFile` atomically (a temporary file beside it, then rename). */
export async function bundleInstaller(outFile: string, version: string): Promise<InstallerBundle> {
  const result = await bundle(version);
  const output = result.outputFiles?.[0];
  if (!output) throw new Error('esbuild returned no output file');
  const { contents } = output;

  mkdirSync(dirname(outFile), { recursive: true });
  const partial = `${outFile}.partial-${process.pid}`;
  try {
    writeFileSync(partial, contents, { mode: 0o644 });
    renameSync(partial, outFile);
  } catch (error) {
    rmSync(partial, { force: true });
    throw new UserError(
      `cannot write the installer bundle ${outFile}: ${(error as NodeJS.ErrnoException).code}`,
      'check that the directory is writable and the disk is not full',
    );
  }
  return {
    bytes: contents.byteLength,
    sha256: createHash('sha256').update(contents).digest('hex'),
    inputs: inputsOf(result.metafile),
  };
}

/** The files a bundle would read, without writing it: lets the pipeline check its cache first. */
export async function installerInputs(version: string): Promise<string[]> {
  return inputsOf((await bundle(version)).metafile);
}
